"""Document and user text is shown as text, never as Markdown or HTML: a link, an image, raw HTML
or a Streamlit directive in a PDF sentence, a title, a region or an upload's metadata must not
become a clickable link or an image the viewer's browser fetches (nothing leaves the machine).

The unit tests pin what app/render/safe.py makes of a hostile string; the AppTests ingest a small
corpus with hostile text and metadata and visit every page of the app."""
import csv
import re
import shutil
from pathlib import Path

import pytest

from .conftest import DATA_FILES, REPO, make_corpus

HOSTILE = ('see [the official portal](http://evil.example/phish) and ![x](http://127.0.0.1:8999/beacon.png) and '
           '<img src="http://127.0.0.1:8999/b.png"> and <a href="http://evil.example">click</a> and :red[alarm] '
           'and **bold**')
TITLE = "Notes on [the official portal](http://evil.example/title) ![t](http://127.0.0.1:8999/title.png)"
REGION = "Portalia [land](http://evil.example/region) ![r](http://127.0.0.1:8999/region.png)"
PUBLISHER = "<a href=\"http://evil.example/pub\">Portal office</a> :material/home:"
# what must never appear unescaped in what Streamlit renders as Markdown
NEEDLES = ("](http://evil.example", "](http://127.0.0.1:8999", "](evil.example", "](beacon.png", "<img", "<a href",
           ":red[", "**bold**", ":material/home:")


def _unescaped(text: str, needle: str) -> bool:
    """``needle`` occurs in ``text`` with its first character not backslash-escaped."""
    at = text.find(needle)
    while at >= 0:
        slashes = len(text[:at]) - len(text[:at].rstrip("\\"))
        if slashes % 2 == 0:
            return True
        at = text.find(needle, at + 1)
    return False


def _active(text: str) -> list[str]:
    return [n for n in NEEDLES if _unescaped(text, n)]


def _unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.replace("  \n", "\n"))


# -- app/render/safe.py -------------------------------------------------------------------------
def test_md_escapes_links_images_html_directives_and_emphasis():
    from app.render.safe import md

    out = md(HOSTILE)
    assert not _active(out), out
    assert out.startswith("see \\[the official portal\\]\\(http\\://evil.example/phish\\) and \\!\\[x\\]")
    assert "\\<img src=" in out and "\\<a href=" in out and "\\:red\\[alarm\\]" in out and "\\*\\*bold\\*\\*" in out
    assert _unescape(out) == HOSTILE, "the text reads as written"
    for text in ("$x^2$ ~strike~ a|b `code` #tag +1 -1 _it_ &amp; {attr}", ":material/home: :smile:", "a\\b"):
        assert _unescape(md(text)) == text
    assert md(None) == "" and md(12) == "12"


def test_md_neutralises_block_markers_and_keeps_line_breaks():
    from app.render.safe import md

    assert md("# Heading") == "\\# Heading"
    assert md("> quote") == "\\> quote"
    assert md("- item\n+ item\n* item") == "\\- item  \n\\+ item  \n\\* item"
    assert md("1. first\n2) second") == "1\\. first  \n2\\) second"
    assert md("text\n===") == "text  \n\\==="
    assert md("    indented code") == "indented code"
    assert md("a\r\nb\rc") == "a  \nb  \nc"
    assert md("| a | b |") == "\\| a \\| b \\|"


def test_label_is_one_escaped_line():
    from app.render.safe import label

    assert label("[x](http://evil.example)\n# y  z") == "\\[x\\]\\(http\\://evil.example\\) \\# y z"
    assert not _active(label(TITLE)) and "\n" not in label(HOSTILE + "\n" + TITLE)
    assert label(None) == ""


def test_marked_highlights_an_escaped_span():
    from app.render.safe import marked

    text = "a [b](http://evil.example) c"
    assert marked(text, 2, 26) == "a :orange-background[\\[b\\]\\(http\\://evil.example\\)] c"
    assert marked("x\n# y", 2, 5) == "x  \n:orange-background[\\# y]"
    assert marked(HOSTILE, 0, 3).startswith(":orange-background[see]")
    out = marked(HOSTILE, 4, 30)
    assert not _active(out.replace(":orange-background[", "", 1))


def test_code_link_html_and_markdown_file_text():
    from app.render.safe import code, html, link, md_text

    assert code("dih:123") == "`dih:123`" and code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code("") == ""
    assert link("http://www.dih-digimat.cz") == "[http\\://www.dih\\-digimat.cz](http://www.dih-digimat.cz)"
    for bad in ("javascript:alert(1)", "http://a) ![x](http://127.0.0.1:8999/b.png", "http://a b", "www.x.eu"):
        out = link(bad)
        assert "](" not in out.replace("\\](", "") and not _active(out), out
    assert html('<img src="http://127.0.0.1:8999/b.png">') == "&lt;img src=&quot;http://127.0.0.1:8999/b.png&quot;&gt;"
    assert html("a & 'b'") == "a &amp; &#x27;b&#x27;" and html(None) == ""
    out = md_text(HOSTILE + "\n| cell")
    assert "\n" not in out and "\\| cell" in out and not _active(out.replace("**bold**", "")), out
    assert out.startswith("see \\[the official portal\\](http://evil.example/phish) and !\\[x\\](")


def test_markdown_and_html_downloads_keep_document_text_inert():
    from analysis.reports import KwicLine
    from app.render.report_formats import md_cell, render_kwic

    line = KwicLine("phrase:portal", HOSTILE[:40], "official portal", HOSTILE[40:], "hostile", TITLE, REGION, "MT",
                    "report", None, "text file, no page numbers", "p1", 0, 5)
    markdown = render_kwic([line], "md")
    assert not _active(markdown.replace("**bold**", "")), markdown  # (emphasis is no harm in a file)
    page = render_kwic([line], "html", query='<img src="http://127.0.0.1:8999/q.png">')
    assert "<img" not in page and '<a href="http://evil' not in page and "&lt;img" in page
    assert md_cell("a|b\n[c](http://evil.example)") == "a\\|b \\[c\\](http://evil.example)"


# -- the app ----------------------------------------------------------------------------------------
REAL_PDF = "operations/mt-op1-erdf-beneficiaries-2016.pdf"
NOTES = "reports/hostile-portal-notes.txt"
GUIDE = "guides/hostile-portal-guide.docx"
BODY = ("Applications of the DIGIMAT digital innovation hub\n\n"
        f"Firms of the regional cluster apply for innovation vouchers through the official portal: {HOSTILE}.\n\n"
        "The living lab of the cluster tests the vouchers with the firms of the region every year.\n")
UPLOAD = "notes ![x](beacon.png) [portal](evil.example).txt"
QUESTION = "Where do firms apply for innovation vouchers through the official portal?"


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory):
    """A real PDF, a TXT and a DOCX carrying hostile text, with hostile titles, regions and
    publishers in their manifest rows, ingested once: the settings."""
    from docx import Document as Docx

    from app.service import ingest
    from app.settings import Settings
    from ingest.manifest import COLUMNS, MANIFEST_NAME

    root = tmp_path_factory.mktemp("hostile")
    corpus = make_corpus(root / "corpus", [REAL_PDF] + DATA_FILES)
    (corpus / NOTES).parent.mkdir(parents=True, exist_ok=True)
    (corpus / NOTES).write_text(BODY, encoding="utf-8")
    (corpus / GUIDE).parent.mkdir(parents=True, exist_ok=True)
    doc = Docx()
    doc.add_heading("Portal guide for the DIGIMAT hub", level=1)
    for para in BODY.split("\n\n")[1:]:
        doc.add_paragraph(para.strip())
    doc.save(corpus / GUIDE)
    rows = [{"doc_id": "hostile-portal-notes", "file": NOTES, "title": TITLE, "doc_type": "report", "region": REGION,
             "nuts": "MT", "country": "MT", "language": "en", "year": "2020", "publisher": PUBLISHER},
            {"doc_id": "hostile-portal-guide", "file": GUIDE, "title": "Guide ![g](http://127.0.0.1:8999/guide.png)",
             "doc_type": "guide", "region": REGION, "nuts": "MT", "country": "MT", "language": "en", "year": "2021"}]
    with (corpus / MANIFEST_NAME).open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=list(COLUMNS)).writerows({c: r.get(c, "") for c in COLUMNS} for r in rows)
    settings = Settings(home=root / "home", corpus=corpus, workers=0)
    report = ingest(settings, progress=False)
    assert report.count("ingested") == 3, [(o.file, o.status, o.reason) for o in report.outcomes]
    yield settings
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def hostile_app(hostile_corpus, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RIS3_HOME", str(hostile_corpus.home))
    monkeypatch.setenv("RIS3_CORPUS", str(hostile_corpus.corpus))
    at = AppTest.from_file(str(REPO / "app" / "streamlit_app.py"), default_timeout=300)
    at.run()
    assert not at.exception
    return at


def _rendered(at) -> list[str]:
    """Every string of the page that Streamlit parses as Markdown."""
    out = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "header", "subheader", "title", "toast"):
        out += [e.value for e in getattr(at, kind)]
    out += [e.label for e in at.expander]
    out += [x for b in at.button for x in (b.label, b.help or "")]
    out += [d.label for d in at.get("download_button")]
    for t in at.table:
        frame = t.value
        out += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
    return out


def _check(at, page: str, shows: str | None = "evil.example") -> list[str]:
    """No exception, no active link, image, HTML or directive from document text; and (``shows``)
    the hostile text is on the page, escaped, so that the check is not vacuous."""
    assert not at.exception, f"{page}: {at.exception}"
    texts = _rendered(at)
    bad = [(n, t) for t in texts for n in _active(t)]
    assert not bad, f"{page}: document text rendered as Markdown: {bad[:3]}"
    if shows:
        assert any(shows in t for t in texts), f"{page}: the hostile document text is not shown"
    return texts


def _downloads_are_inert() -> None:
    """The brief and the comparison as Markdown and HTML files: document text stays text there too."""
    from analysis.compare import compare
    from analysis.profiles import ProfileBuilder
    from app.render.profile_formats import compare_bytes, profile_bytes
    from app.service import open_asker
    from app.settings import Settings

    settings = Settings.from_env()
    asker = open_asker(settings)
    profile = ProfileBuilder(asker.index, settings.corpus).build("Portalia")
    cmp = compare(asker, settings.corpus, QUESTION, ["Malta"])
    for name, data in (("profile", profile_bytes(profile, "md")), ("compare", compare_bytes(cmp, "md"))):
        text = data.decode()
        assert "evil.example" in text and not _active(text.replace("**bold**", "")), f"{name}.md: {text[:2000]}"
    for name, data in (("profile", profile_bytes(profile, "html")), ("compare", compare_bytes(cmp, "html"))):
        text = data.decode()
        assert "evil.example" in text and "<img" not in text and 'href="http' not in text, f"{name}.html"


def _go(at, page):
    at.sidebar.radio(key="nav").set_value(page).run()
    assert not at.exception, f"{page}: {at.exception}"


@pytest.mark.slow
def test_ask_and_read_pages_show_hostile_text_as_text(hostile_app):
    at = hostile_app
    _check(at, "Ask (empty)", shows=None)
    at.chat_input[0].set_value(QUESTION).run()
    _check(at, "Ask")
    answer = next(m.value for m in at.markdown if m.value.endswith("]") and " [1]" in m.value)
    assert "\\[the official portal\\]\\(http\\://evil.example" in answer, f"the answer quotes the hostile text: {answer}"
    assert any("orange-background" in m.value and "\\<img" in m.value for m in at.markdown), "the passage, marked"
    hostile = [e for e in at.expander if e.label.startswith("[") and "evil" in e.label]
    assert hostile, [e.label for e in at.expander]
    button = next(b for b in hostile[0].button if b.label == "Open page")
    button.click().run()
    assert at.session_state["nav"] == "Read"
    _check(at, "Read (after Open page)")
    # the notes and the guide hold the same sentence: the page opened is the cited one's, its hostile title shown as text
    assert at.header and ("evil.example" in at.header[0].value or "127.0.0.1" in at.header[0].value), at.header[0].value
    assert any(i.value.startswith("Cited:") for i in at.info)
    at.selectbox(key="reader_doc").set_value("hostile-portal-guide").run()
    _check(at, "Read (the DOCX)", shows="127.0.0.1")


@pytest.mark.slow
def test_library_reports_and_concordance_show_hostile_text_as_text(hostile_app):
    at = hostile_app
    _go(at, "Library")
    at.selectbox(key="library_doc").set_value("hostile-portal-notes").run()
    _check(at, "Library")
    _go(at, "Reports")
    _check(at, "Reports", shows=None)
    groups = at.selectbox(key="report_cell_group").options
    portalia = next(g for g in groups if g.startswith("Portalia"))
    at.selectbox(key="report_cell_term").set_value("support.cluster").run()
    at.selectbox(key="report_cell_group").set_value(portalia).run()
    _check(at, "Reports (a cell's mentions)")
    assert any("orange-background" in m.value for m in at.markdown)
    _go(at, "Concordance")
    at.text_input(key="kwic_phrase").set_value("official portal").run()
    _check(at, "Concordance")
    assert sum("orange-background" in m.value for m in at.markdown) >= 2
    at.sidebar.multiselect(key="filter_region").set_value([REGION]).run()
    _check(at, "Concordance (filtered by the hostile region)")


@pytest.mark.slow
def test_region_pages_show_hostile_text_as_text(hostile_app):
    at = hostile_app
    _go(at, "Region profile")
    at.checkbox(key="profile_answers").uncheck()
    at.text_input(key="profile_region_text").set_value("Portalia").run()
    _check(at, "Region profile")
    assert at.header and "evil.example" in at.header[0].value
    _downloads_are_inert()
    _go(at, "Compare")
    at.text_input(key="compare_question").set_value(QUESTION)
    at.multiselect(key="compare_regions").set_value(["Malta"])  # its name for the hostile documents' NUTS code
    next(b for b in at.button if b.label == "Compare").click().run()
    _check(at, "Compare")
    _go(at, "Hubs")
    at.text_input(key="hubs_search").set_value("DIGIMAT").run()
    _check(at, "Hubs")
    _go(at, "Funding")
    at.text_input(key="funding_region_text").set_value("Portalia").run()
    _check(at, "Funding")


@pytest.mark.slow
def test_add_documents_shows_a_hostile_upload_as_text(hostile_app):
    from app.service import upload_name
    from ingest.manifest import doc_id_for

    at = hostile_app
    _go(at, "Add documents")
    _check(at, "Add documents", shows=None)
    at.file_uploader[0].set_value((UPLOAD, BODY.encode(), "text/plain"))
    at.text_input[0].set_value(REGION)
    next(b for b in at.button if b.label == "Add and index").click().run()
    _check(at, "Add documents (uploaded)", shows=None)
    assert at.success, [e.value for e in at.error]
    at.text_input[-1].set_value("20x0")
    next(b for b in at.button if b.label == "Add and index").click().run()
    _check(at, "Add documents (bad year)", shows=None)
    _go(at, "Library")
    at.selectbox(key="library_doc").set_value(doc_id_for(Path(upload_name(UPLOAD)))).run()
    _check(at, "Library (the upload)", shows="evil.example")
