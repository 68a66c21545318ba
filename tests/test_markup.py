"""Markdown to HTML: analysts' text is formatted, never executed."""

from __future__ import annotations

import html
import re

import lxml.html
import pytest

from dateline.markup import MarkdownRenderer

ALLOWED_TAGS = {"div", "p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "br", "hr",
                "h3", "h4", "h5", "h6", "sup", "sub", "del"}
SAFE_SCHEMES = {"http", "https", "mailto"}

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "<svg/onload=window.__pwned=1>",
    "<iframe src=javascript:window.__pwned=1></iframe>",
    "<a href=\"javascript:window.__pwned=1\">x</a>",
    "<details open ontoggle=window.__pwned=1>",
    "<style>*{background:url(javascript:window.__pwned=1)}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>",
    "<<script>script>window.__pwned=1<</script>/script>",
    "<!--<script>window.__pwned=1</script>-->",
    "[x](javascript:window.__pwned=1)",
    "[x](JaVaScRiPt:window.__pwned=1)",
    "[x](  javascript:window.__pwned=1)",
    "[x](&#106;avascript:window.__pwned=1)",
    "[x](&#x6A;avascript&colon;window.__pwned=1)",
    "[x](java%0ascript:window.__pwned=1)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:window.__pwned=1)",
    "![x](https://example.org/x.png\" onerror=\"window.__pwned=1)",
    "[x](https://example.org/\" onclick=\"window.__pwned=1)",
    "[x](https://example.org/ \"title\\\" onmouseover=\\\"window.__pwned=1\")",
    "[x]\n\n[x]: javascript:window.__pwned=1",
    "<javascript:window.__pwned=1>",
    "<http://example.org/\" onmouseover=\"window.__pwned=1>",
    "`<script>window.__pwned=1</script>`",
    "    <script>window.__pwned=1</script>",
    "> <script>window.__pwned=1</script>",
    "* <img src=x onerror=window.__pwned=1>",
    "</p></div><script>window.__pwned=1</script>",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "<scr<script>ipt>window.__pwned=1</scr</script>ipt>",
    "<a href='https://example.org/' style='position:fixed;top:0;left:0;width:100%;height:100%'>x</a>",
    "<form action=javascript:window.__pwned=1><button>x</button></form>",
    "<base href=javascript:/>",
    "<meta http-equiv=refresh content='0;url=javascript:window.__pwned=1'>",
    "<object data=javascript:window.__pwned=1>",
    "<embed src=javascript:window.__pwned=1>",
    "<input autofocus onfocus=window.__pwned=1>",
    "<video><source onerror=window.__pwned=1>",
    "<body onload=window.__pwned=1>",
    "\u003cscript\u003ewindow.__pwned=1\u003c/script\u003e",
    "<scrİpt>window.__pwned=1</scrİpt>",
]


def assert_safe_html(fragment: str) -> None:
    """Fail if an HTML fragment holds an element, attribute or URL that could run script."""
    if not fragment.strip():
        return
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions are inert
        assert element.tag in ALLOWED_TAGS, (element.tag, fragment)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, fragment)
            assert name in {"href", "title", "rel", "start"}, (name, fragment)
            if name == "href":
                assert_safe_url(value)
    assert "<script" not in fragment.lower()


def assert_safe_url(url: str) -> None:
    """Fail unless a URL is relative or uses http(s)/mailto, as a browser would read its scheme."""
    squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(url))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", squeezed)
    assert match is None or match.group(1).lower() in SAFE_SCHEMES, url


@pytest.fixture(scope="module")
def md() -> MarkdownRenderer:
    return MarkdownRenderer()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised(md: MarkdownRenderer, payload: str) -> None:
    out = md.render(f"Before {payload} after.")
    assert_safe_html(out)
    assert "Before" in out and "after." in out, "the analyst's own words are kept"


def test_plain_text_keeps_raw_html_as_literal_characters(md: MarkdownRenderer) -> None:
    # plain() feeds attributes, feeds and data files, whose writers escape it: it must not drop words.
    assert md.plain("KCNA: <b>two</b> **missiles**\n\n[fired](javascript:x)") == "KCNA: <b>two</b> missiles fired"


def test_raw_html_is_shown_as_text_not_dropped(md: MarkdownRenderer) -> None:
    out = md.render("KCNA wrote <script>alert(1)</script> and <b>bold</b>.")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out


def test_safe_links_and_formatting_survive(md: MarkdownRenderer) -> None:
    out = md.render("**Bold**, *em*, `code`, [a link](https://example.org/a?b=1&c=2 \"Title\") and "
                    "<https://example.org/auto> and [mail](mailto:desk@example.org).\n\n1. one\n2. two\n")
    assert "<strong>Bold</strong>" in out and "<em>em</em>" in out and "<code>code</code>" in out
    assert '<a href="https://example.org/a?b=1&amp;c=2" title="Title" rel="noopener noreferrer">a link</a>' in out
    assert 'href="https://example.org/auto"' in out and 'href="mailto:desk@example.org"' in out
    assert "<ol>" in out and "<li>two</li>" in out
    assert_safe_html(out)


def test_headings_cannot_outrank_the_page(md: MarkdownRenderer) -> None:
    out = md.render("# Big\n\n## Bigger\n\n### Fine\n")
    assert "<h1" not in out and "<h2" not in out and "<h3>Fine</h3>" in out


def test_plain_summary_cuts_at_a_word(md: MarkdownRenderer) -> None:
    text = md.plain("The **troops** moved " + "far " * 100, 40)
    assert text.endswith("…") and len(text) <= 41 and "**" not in text


def test_cache_returns_same_result(md: MarkdownRenderer) -> None:
    assert md.render("<script>x</script>") == md.render("<script>x</script>")


# --- Leads: the first paragraph, as lists of events show it -----------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dateline.render import _lead  # noqa: E402

LEAD_CASES = [
    "One paragraph only, with *emphasis*.",
    "First *para* with [a link](https://example.org/).\n\nSecond paragraph.",
    "A [reference][r] in the lead\n\nmore\n\n[r]: https://example.org/",
    "# A heading\n\nText", "Para one\n===\n\nx", "Text\n---\n\nmore", "- a\n- b\n\nmore", "1. one\n2. two\n\nx",
    "    code\n\npara", "> quoted\n\nx", "***\n\nz", "a\n* b\n\nc", "Line ending in two spaces  \nbreak\n\nz",
    "raw <b>html</b> & more\n\ny", "x\n\n\n\ny", "  two spaces in\n\nz", "`code` first\n\nsecond",
    " # indented hash", " # indented hash\n\nmore", "\n  - indented item\n\nmore", "\t# tab\n\nx",
    "Wrapped\n*Emphasis* opens a line\n\nmore", "a\n**Bold** too\n\nb", "a\n* * *\n\nb", "a\n*\n\nb", "a\n+ b\n\nc",
    "a\n*** \n\nb", "a\n\t*b*\n\nc", "a\n   * b\n\nc",
    "\n\n1 ", "one \n\ntwo ", "\n\nplain\n",
]
_LINE = st.text(alphabet="ab *\t_#>-+=1.)[]()<>`:\\!", max_size=12)


@pytest.mark.parametrize("text", LEAD_CASES)
def test_lead_is_the_first_paragraph_rendered_alone(text: str) -> None:
    md = MarkdownRenderer()
    assert md.lead(text) == MarkdownRenderer().render(_lead(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_LINE, min_size=1, max_size=3).map("\n".join), min_size=1, max_size=3)
       .map("\n\n".join))
def test_lead_of_any_text_is_the_first_paragraph_rendered_alone(text: str) -> None:
    assert MarkdownRenderer().lead(text) == MarkdownRenderer().render(_lead(text))


_MARKDOWNISH = st.text(alphabet='ab <>&"\'*_[]()#-\n:/.=!`;é\u00a0', max_size=60)


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH, st.sampled_from(["https://example.org/a?b=>\"&c", "mailto:x@y.z", "javascript:x"]))
def test_plain_text_is_what_the_html_says_without_its_tags(text: str, url: str) -> None:
    import nh3

    text = f"{text} [link]({url}) {text}"
    md = MarkdownRenderer()
    expected = " ".join(html.unescape(nh3.clean(md.render(text), tags=set())).split())
    assert md.plain(text) == expected
