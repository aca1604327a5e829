"""MkDocs hook: search that stays in the page's language and finds Korean words with their particles.

What the i18n plugin and Material do on their own, and what this hook changes:

* One index per language. The i18n plugin stacks both languages into ONE index,
  `search/search_index.json`, so the English page of a chapter competes with the Korean one. After
  the whole build this hook splits it: the default language (Korean) keeps
  `search/search_index.json`, every other language gets `<locale>/search/search_index.json` with
  its locations re-rooted at `<locale>/`. Material fetches the index from `config.base` (the
  `__config` JSON of each page) and resolves result links against it, so on the pages of another
  language the hook points that base at the language's root. Nothing else this site uses reads
  `config.base`: the sitemap fetch is for instant navigation (off), the version selector is unused.
* Korean. lunr.ko has no stemmer (only a trimmer and stop words) and Material's tokenizer splits at
  `search.separator` only, so `역전파를` is one token. Material ends every query term with a
  trailing wildcard, so `역전파` finds `역전파를` anyway, but two things go wrong: (1) punctuation
  glued to a word, `(역전파)`, hides it: the separator now splits at punctuation; (2) ranking: every
  inflected form is its own term, and a rare one (`역전파해` in one heading) gets a high IDF and beats
  the chapter titled `역전파 이론`. So, like Material does for Chinese with jieba, the index text is
  segmented at build time: a zero-width space (in the separator, invisible in results) goes between
  a noun and its particle or 하다-ending (`역전파` ZWSP `를`), and the term is `역전파` everywhere. An extra,
  invisible field `infix` keeps what the split loses and adds what prefixes cannot reach: the
  unsplit forms (`역전파를`, for a query typed with its particle) and the inner parts of compounds
  (`역전파법` from `오차역전파법`), boosted below the text so that real words rank first.
  Titles are shown as they are written, with no zero-width space: the segmented title goes to an
  invisible field `heading` that carries the title's weight, and the shown `title` field keeps
  only a small weight (it still matches, so the result's title is highlighted).
  (The separator cannot do the split itself: Material's page highlighter splits the separator's
  source at every `|`, so an alternation of endings there would cut queries apart.)
* Interface text is not chapter prose: the notebook buttons (`.md-button`) and the titles of code
  and output blocks (`실행 결과`, `step06.py`) are marked `data-search-exclude`, so snippets show
  the chapter's sentences.
* The index is fetched when the reader turns to search (focus on the box, the search button or a
  search shortcut key, or a pointer over the box, or a page opened from search results, whose
  highlighting needs the index's settings), not with every page: it is the largest file a
  page would load (over 60 KiB gzipped in Korean). Material requests it with XMLHttpRequest as
  soon as a page opens; `LAZY_INDEX` (hooks/search_head.js, inlined in the head) holds that one
  request back until then.
  The search worker (lunr, 40 KB of script run in a thread of its own) starts then too: Material
  starts it as every page opens, which cost about 25 ms of CPU per page for a reader who never
  searches. Until then Material talks to a stand-in, which keeps its messages for the worker.
* Not search, but in the same script: Material gives every code block's copy button a `<nav>`,
  dozens of unnamed navigation landmarks per page (axe: landmark-unique); they get `role=none`.
* Page-level result links. Material lists a page's matching sections under the page and links the
  page with `?h=<the terms that matched the page's own entry>`; when only its sections matched,
  that was an empty `?h=`, and the page opened with nothing highlighted. The same script gives
  such a link the terms of the section links listed with it.
* Head `<link rel=alternate hreflang>` links are dropped. Material's JavaScript fetches `sitemap.xml`
  under each of them, and the i18n plugin points them at the page itself (`/step04/`), so every
  page made two 404 requests (mkdocs-material#6582). The header's language switcher still links to
  the same page in the other language, and `sitemap.xml` still carries the hreflang alternates.
* The glossary lists every term on one page that has no sections, and Material favours a whole
  page over a section (score x5 against x2), so it came first or a close second for most terms.
  Its index entry gets `PAGE_BOOST` (unless its front matter sets `search.boost`): it still comes
  up, after the chapters that explain the term. Every other page's own entry gets
  `PAGE_LEVEL_BOOST`, so that a section matching every word of a query beats a page matching some.
* Material's search dialog (`role=dialog`) had no accessible name; it gets the search box's
  placeholder (검색, Search) as its `aria-label`.
* `404.html`: GitHub Pages serves one, at the root, for every missing address. Each language build
  renders it and the last one (English) used to win, with a language switcher pointing at the last
  page built (`step08/`). The default language's version is kept, its switcher pointing at the
  home page of each language.
* Inline SVG and MathML are marked `data-search-exclude` (the math hook marks its wrappers too), so
  figure labels and formulas stay out of the index.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.plugins import event_priority

ZWSP = "\u200b"
# Splits at white space and the zero-width space, at punctuation (ASCII, CJK quotes and brackets,
# middle dot, ellipsis), at a full stop unless a digit follows (3.14), and at HTML escapes.
SEPARATOR = (
    r"[\s\u200b\-,:;!?=+*%|/\\\[\](){}<>\"'`~·…“”‘’「」『』《》〈〉【】、。，：；！？（）]+"
    r"|\.(?!\d)|&(?:[lg]t|amp|quot|#39);"
)

# Per-language lunr settings. Material removes every pipeline function not named here. Its queries
# all end in a wildcard and so skip the query pipeline: a stemmer would only hurt.
LANGUAGE_SETTINGS = {
    "ko": {"lang": ["ko"], "pipeline": []},
    "en": {"lang": ["en"], "pipeline": ["stopWordFilter"]},
}
SEGMENTED = {"ko"}  # languages whose index text gets the Korean treatment
INFIX_FIELD = "infix"
INFIX_BOOST = 0.5
HEADING_FIELD = "heading"  # the segmented title; the shown `title` keeps TITLE_BOOST
TITLE_BOOST = 1.0

# What attaches to a Korean noun: particles, the copula, the plural, and the endings of
# noun + 하다 / 되다 verbs. Longest first; a word keeps at least MIN_STEM syllables, so that
# 정도, 결과, 하나 keep their last syllable.
ENDINGS = sorted(set("""
    은 는 이 가 을 를 의 에 와 과 도 만 로 들
    에서 에게 께서 으로 로서 로써 부터 까지 보다 처럼 마다 조차 밖에 이나 이란 이라 라는 라고
    이라는 이라고 라고도 이라고도 이며 이고 이다 이면 에는 에도 에만 와는 과는 와의 과의 로는 로도
    에서는 에서도 에서의 으로는 으로도 으로서 으로써 로부터 으로부터 까지의 부터는 만을 만의 만이
    입니다 이었다 였다 이지만 인데 이므로 인지 적으로 적인
    하기 하는 하고 하면 하며 하여 해서 해야 해 한 할 합니다 했다 했습니다 하려면 하지 하게 하기는
    된 되는 되고 되어 됩니다 된다 됐다
""".split()), key=len, reverse=True)
MIN_STEM = 2
PLURAL = "들"  # the one ending another can follow: 변수들의 = 변수 + 들 + 의

# Search weight of whole pages, by file name without the language suffix.
PAGE_BOOST = {"glossary": 0.3}
# Weight of every other page's own entry (its title and opening). Material multiplies the score
# of a page's own entry by up to 5 and a section's by up to 2 (`1 + boost ** 2`), so a page whose
# title matched one word of "chain rule" ("Chaining functions") beat the section titled "The
# chain rule". Halved, a page still wins when it matches every word, and not when it matches some.
PAGE_LEVEL_BOOST = 0.5

_HANGUL = re.compile(r"[가-힣]+")
_TAG = re.compile(r"(<[^>]*>)")
_CONFIG = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S)
_HEAD_ALTERNATE = re.compile(r'\n?[ \t]*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')
_SWITCHER_LINK = re.compile(r'(<a href=")[^"]*(" hreflang="([^"]+)" class="md-select__link">)')
_EXCLUDABLE = re.compile(r"<(svg|math)\b(?![^>]*\bdata-search-exclude\b)")
# interface text inside the article: buttons, and the titles of code and output blocks
_INTERFACE = re.compile(
    r'<(a|span|div|p)\b(?=[^>]*\bclass="(?:[^"]*\s)?(?:md-button|filename)(?:\s[^"]*)?")'
    r"(?![^>]*\bdata-search-exclude\b)"
)


def _i18n(config):
    return config.plugins.get("i18n")


# --- pages --------------------------------------------------------------------------------------


def on_page_markdown(markdown: str, page, config, files) -> str:
    name = Path(page.file.src_uri).name.split(".")[0]
    if name in PAGE_BOOST:
        search = page.meta.setdefault("search", {})
        if isinstance(search, dict):
            search.setdefault("boost", PAGE_BOOST[name])
    return markdown


@event_priority(-100)  # after the hooks that draw figures or render math
def on_page_content(html: str, page, config, files) -> str:
    return exclude_from_search(html)


def exclude_from_search(html: str) -> str:
    """Mark figures, formulas and interface text `data-search-exclude`."""
    html = _EXCLUDABLE.sub(r"<\1 data-search-exclude", html)
    return _INTERFACE.sub(r"<\1 data-search-exclude", html)


# Inlined at the top of <head> of every page with a search box; see the module docstring.
_HEAD_SCRIPT = Path(__file__).with_name("search_head.js").read_text("utf8")
LAZY_INDEX = "<script>" + re.sub(r"^/\*.*?\*/\s*", "", _HEAD_SCRIPT, flags=re.S).strip() + "</script>"
_HEAD = re.compile(r"(<head>)")
_DIALOG = re.compile(r'<div class="md-search" data-md-component="search" role="dialog"(?![^>]*aria-label)')
_PLACEHOLDER = re.compile(r'<input[^>]*class="md-search__input"[^>]*placeholder="([^"]*)"|'
                          r'<input[^>]*placeholder="([^"]*)"[^>]*class="md-search__input"')


def name_search_dialog(output: str) -> str:
    """Give Material's search dialog an accessible name: the search box's placeholder (검색, Search)."""
    m = _PLACEHOLDER.search(output)
    if m is None:
        return output
    return _DIALOG.sub(lambda d: f'{d.group(0)} aria-label="{m.group(1) or m.group(2)}"', output, count=1)


@event_priority(-100)
def on_post_page(output: str, page, config) -> str:
    output = name_search_dialog(_HEAD_ALTERNATE.sub("", output))
    if 'name="search"' in output:
        output = _HEAD.sub(lambda m: m.group(1) + re.sub(r"\n\s*", "\n", LAZY_INDEX), output, count=1)
    i18n = _i18n(config)
    if i18n is None or i18n.current_language == i18n.default_language:
        return output
    return rebase_config(output, i18n.current_language)


_not_found: dict[str, str] = {}


def on_post_template(output: str, template_name: str, config) -> str:
    i18n = _i18n(config)
    if template_name != "404.html" or i18n is None:
        return output
    if i18n.current_language != i18n.default_language:
        return _not_found.get("page", output)
    root = urlsplit(config.site_url or "/").path or "/"

    def home(m: re.Match) -> str:
        lang = m.group(3)
        return m.group(1) + (root if lang == i18n.default_language else f"{root}{lang}/") + m.group(2)

    _not_found["page"] = name_search_dialog(_HEAD_ALTERNATE.sub("", _SWITCHER_LINK.sub(home, output)))
    return _not_found["page"]


def rebase_config(output: str, locale: str) -> str:
    """Point `__config.base` (the site root, relative to the page) at the root of `locale`."""

    def replace(m: re.Match) -> str:
        data = json.loads(m.group(2))
        root = data["base"].rstrip("/") or "."
        data["base"] = f"{root}/{locale}/"  # with the slash: URLs are resolved against it
        text = json.dumps(data)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return m.group(1) + text + m.group(3)

    output, count = _CONFIG.subn(replace, output, count=1)
    if count != 1:
        raise ValueError("the page has no __config script: did the Material template change?")
    return output


# --- Korean -------------------------------------------------------------------------------------


def split_word(word: str) -> list[str]:
    """`역전파를` -> [`역전파`, `를`]; `변수들의` -> [`변수`, `들`, `의`]; `정도` -> [`정도`].

    One ending, or the plural and one ending: `되풀이하는` -> [`되풀이`, `하는`]. A heuristic, not
    a morphological analysis: `텐서플로` -> [`텐서플`, `로`]; the `infix` field keeps `텐서플로`.
    """
    return list(_split_word(word))


@lru_cache(maxsize=65536)  # a pure function of the word; the index repeats its words many times
def _split_word(word: str) -> tuple[str, ...]:
    ending = next((e for e in ENDINGS if word.endswith(e) and len(word) - len(e) >= MIN_STEM), "")
    stem, tail = word[: len(word) - len(ending)], [ending] if ending else []
    if ending != PLURAL and stem.endswith(PLURAL) and len(stem) - len(PLURAL) >= MIN_STEM:
        stem, tail = stem[: -len(PLURAL)], [PLURAL, *tail]
    return (stem, *tail)


def segment(text: str) -> str:
    """Put a zero-width space between each Korean word and its endings; markup is left alone."""
    parts = _TAG.split(text)
    for i in range(0, len(parts), 2):  # even parts are text, odd ones tags
        parts[i] = _HANGUL.sub(lambda m: ZWSP.join(split_word(m.group(0))), parts[i])
    return "".join(parts)


def infixes(text: str) -> str:
    """What prefix queries on the segmented text cannot reach, once each, in order.

    For every Korean word: the word as written if segmentation split it (`역전파를`), and every
    inner suffix of two syllables or more of its stem (`오차역전파법` gives `차역전파법 역전파법
    전파법 파법`), so that the query `역전파` (to Material, `역전파*`) finds the compound.
    """
    seen: dict[str, None] = {}
    for word in _HANGUL.findall(_TAG.sub(" ", text)):
        stem = split_word(word)[0]
        if stem != word:
            seen.setdefault(word, None)
        for start in range(1, len(stem) - 1):
            seen.setdefault(stem[start:], None)
    return " ".join(seen)


# --- the index ----------------------------------------------------------------------------------


def newest_entries(docs: list[dict]) -> list[dict]:
    """Each page's entries once: from the last run of consecutive entries of that page.

    A build adds a page's entries together; under `mkdocs serve --dirty` the stacked index also
    carries the entries of earlier builds (the i18n plugin keeps stacking them, Material keeps the
    last index), so without this the index grew by a whole copy with every rebuild."""
    runs: dict[str, list[dict]] = {}
    previous = None
    for doc in docs:
        page = doc["location"].split("#", 1)[0]
        if page != previous:
            runs[page] = []  # a new run of this page's entries replaces an earlier one
            previous = page
        runs[page].append(doc)
    return [doc for entries in runs.values() for doc in entries]


def is_split(index: dict) -> bool:
    """Whether `index` is already one this hook wrote (the default language's)."""
    return HEADING_FIELD in index.get("config", {}).get("fields", {})


def split_index(index: dict, default: str, others: list[str]) -> dict[str, dict]:
    """Split a stacked i18n index into one index per language, locations re-rooted."""
    by_lang: dict[str, list[dict]] = {lang: [] for lang in [default, *others]}
    for doc in newest_entries(index["docs"]):
        lang = next((o for o in others if doc["location"].startswith(f"{o}/")), default)
        doc = dict(doc)
        if lang != default:
            doc["location"] = doc["location"][len(lang) + 1:]
        by_lang[lang].append(doc)

    result = {}
    for lang, docs in by_lang.items():
        config = {**index["config"], **LANGUAGE_SETTINGS.get(lang, {"lang": [lang]})}
        config["separator"] = SEPARATOR
        fields = dict(config["fields"])
        if lang in SEGMENTED:
            fields[HEADING_FIELD] = fields["title"]
            fields["title"] = {"boost": TITLE_BOOST}
            fields[INFIX_FIELD] = {"boost": INFIX_BOOST}
            for doc in docs:
                extra = infixes(f"{doc['title']} {doc['text']}")
                doc[HEADING_FIELD], doc["text"] = segment(doc["title"]), segment(doc["text"])
                if extra:
                    doc[INFIX_FIELD] = extra
        config["fields"] = fields
        for doc in docs:
            if "#" not in doc["location"]:
                doc.setdefault("boost", PAGE_LEVEL_BOOST)
        result[lang] = {**index, "config": config, "docs": docs}
    return result


def _forget_repeated_entries(config) -> None:
    """`mkdocs serve --dirty`: Material keeps its last index for the next build, which the i18n
    plugin stacks again with each language's build: without this, a whole copy more per rebuild
    (and its quadratic duplicate search), rebuilds ever slower. Each page's newest entries stay."""
    index = getattr(config.plugins.get("material/search"), "search_index", None)
    entries = getattr(index, "entries", None)
    if isinstance(entries, list):
        entries[:] = newest_entries(entries)


@event_priority(-200)  # after the i18n plugin has written the stacked index (priority -100)
def on_post_build(config) -> None:
    i18n = _i18n(config)
    if i18n is None or i18n.building:  # an inner, per-language build: the index is not final yet
        return
    _forget_repeated_entries(config)
    site = Path(config["site_dir"])
    path = site / "search" / "search_index.json"
    if not path.exists():
        return
    default = i18n.default_language
    others = [lang for lang in i18n.build_languages if lang != default]
    index = json.loads(path.read_text("utf8"))
    if is_split(index):  # nobody wrote a new stacked index since this hook split the last one
        return
    for lang, data in split_index(index, default, others).items():
        target = path if lang == default else site / lang / "search" / "search_index.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf8")
