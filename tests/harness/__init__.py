"""The doc-test harness: pytest-markdown-docs, extended to check what each block prints."""
