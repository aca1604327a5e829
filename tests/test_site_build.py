"""`mkdocs build --strict` builds both languages with no warnings."""

import re


def test_strict_build_passes_without_warnings(built_site):
    assert built_site.returncode == 0, built_site.log
    warnings = [line for line in built_site.log.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)


def test_both_languages_are_built_with_the_right_lang(built_site):
    ko = (built_site.path / "index.html").read_text("utf8")
    en = (built_site.path / "en" / "index.html").read_text("utf8")
    assert re.search(r'<html lang="ko"', ko)
    assert re.search(r'<html lang="en"', en)
    assert "DeZero, 한 단계씩" in ko and "DeZero, step by step" in en
