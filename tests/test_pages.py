"""The generated Markdown pages: a golden file, their front matter, the committed copies,
and untrusted snapshot text that must stay text everywhere."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from lxml import etree
from markdown_it import MarkdownIt

from conftest import CONTENT, run_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
COUNT_KEYS = ("papers", "new", "returning", "trending", "dropped")


def split_page(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n"), text[:40]
    _, meta, body = text.split("---\n", 2)
    return yaml.safe_load(meta), body


# --- golden Markdown page ----------------------------------------------------------------------


def test_day_page_matches_golden_file(built_site):
    golden = GOLDEN / "2026-01-07.md"
    actual = (built_site.parent / "content" / "dates" / "2026-01-07.md").read_bytes()
    if os.environ.get("DIGEST_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert golden.is_file(), "no golden file: run with DIGEST_UPDATE_GOLDEN=1 once and review it"
    assert actual == golden.read_bytes(), "content/dates/2026-01-07.md differs from tests/golden/2026-01-07.md"


def test_day_pages_front_matter(built_site):
    pages = sorted((built_site.parent / "content" / "dates").glob("*.md"))
    assert [p.stem for p in pages] == ["2025-11-03", "2025-12-16", "2026-01-07", "2026-01-19"]
    for page in pages:
        meta, body = split_page(page.read_text(encoding="utf-8"))
        assert isinstance(meta["title"], str) and meta["title"], page
        assert type(meta["date"]) is dt.date, page
        assert meta["date"].isoformat() == page.stem
        assert meta["generator"] == "digest"
        counts = meta["counts"]
        assert set(counts) >= set(COUNT_KEYS), page
        assert all(type(counts[k]) is int for k in COUNT_KEYS), counts
        assert counts["papers"] == len(meta["papers"]) == counts["new"] + counts["returning"] + counts["trending"]
        assert counts["dropped"] == len(meta["dropped"])
        assert len(set(meta["papers"])) == len(meta["papers"])
        for slug in meta["papers"] + meta["dropped"]:
            assert (built_site / "papers" / slug / "index.html").is_file(), (page, slug)
        # One "## n\." heading per paper, in rank order.
        ranks = [int(n) for n in re.findall(r"(?m)^## (\d+)\\\. ", body)]
        assert ranks == list(range(1, counts["papers"] + 1)), page


def test_topic_pages_front_matter(built_site):
    pages = sorted((built_site.parent / "content" / "topics").glob("*.md"))
    assert len(pages) >= 9
    for page in pages:
        meta, _ = split_page(page.read_text(encoding="utf-8"))
        assert meta["topic"] == page.stem
        assert meta["counts"]["papers"] == len(meta["papers"]) > 0
        for slug in meta["papers"]:
            assert (built_site / "papers" / slug / "index.html").is_file(), (page, slug)


def test_committed_markdown_is_up_to_date(built_site):
    built = built_site.parent / "content"
    for sub in ("dates", "topics"):
        committed = {p.name: p.read_bytes() for p in sorted((CONTENT / sub).glob("*.md"))}
        generated = {p.name: p.read_bytes() for p in sorted((built / sub).glob("*.md"))}
        assert sorted(committed) == sorted(generated), sub
        stale = [name for name in generated if committed[name] != generated[name]]
        assert not stale, f"content/{sub}: committed pages differ from a fresh build: {stale}"


# --- untrusted text stays text -----------------------------------------------------------------

SEARCH_SCRIPTS = {"../pagefind/pagefind-ui.js", "../assets/search.js"}
NASTY = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
         "{{ 7*7 }}", "{% raw %}", "**bold**"]
NASTY_TITLE = "Serving LLM inference " + " ".join(NASTY)
NASTY_ABSTRACT = "We study " + " and ".join(NASTY) + " for fast inference serving."
# A card with no meta block: the feeds have no "who" to show for it.
BARE_TITLE = "<script>alert(2)</script> inference serving <img src=y onerror=alert(2)>"
BARE_ABSTRACT = "Abstract of a card without meta <script>alert(3)</script> about inference serving."
NASTY_ORG = "evil-lab Evil <b onmouseover=alert(4)>Lab</b>"

SNAPSHOT = f"""new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Jan 7

{NASTY_TITLE}

{NASTY_ABSTRACT}

{NASTY_ORG}
·
Jan 2, 2026 3

{BARE_TITLE}

{BARE_ABSTRACT}

- A title that looks like a list {{{{ 7*7 }}}}

1. An abstract that looks like a numbered list.

  • 2 authors
·
Dec 30, 2025
"""


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("nasty")
    content = root / "content"
    (content / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)
    (content / "snapshots" / "2026-01-07.txt").write_text(SNAPSHOT, encoding="utf-8")
    result = run_cli("build", "--content", content, "--out", root / "site")
    assert result.returncode == 0, result.stderr
    return content, root / "site"


def _paper_slug(content: Path, index: int) -> str:
    meta, _ = split_page((content / "dates" / "2026-01-07.md").read_text(encoding="utf-8"))
    assert len(meta["papers"]) == 3
    return meta["papers"][index]


def test_nasty_markdown_renders_as_literal_text(nasty_site):
    content, _ = nasty_site
    _, body = split_page((content / "dates" / "2026-01-07.md").read_text(encoding="utf-8"))
    html = MarkdownIt("commonmark", {"html": False}).render(body)
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text()
    for needle in NASTY:
        assert text.count(needle) >= 2, needle  # in the title and in the abstract
    assert BARE_TITLE in text and BARE_ABSTRACT in text
    assert "A title that looks like a list {{ 7*7 }}" in text
    assert "1. An abstract that looks like a numbered list." in text
    assert "Evil <b onmouseover=alert(4)>Lab</b>" in text
    assert not soup.find_all(["script", "img", "ul", "ol", "em"]), html
    assert [s.get_text() for s in soup.find_all("strong")] == ["New"] * 3  # digest's own, not "bold"
    assert not [a for a in soup.find_all("a")], html
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert f"1. {NASTY_TITLE}" in headings


def _inert(soup: BeautifulSoup, where: str) -> None:
    # No script but the search page's own two files, and none inline.
    scripts = soup.find_all("script")
    assert all(s.get("src") in SEARCH_SCRIPTS and not s.get_text().strip() for s in scripts), where
    for tag in soup.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert not handlers, (where, str(tag)[:200])
        for attr in ("href", "src", "action", "formaction"):
            value = tag.get(attr)
            if isinstance(value, str):
                assert not re.sub(r"\s", "", value).lower().startswith("javascript:"), (where, str(tag)[:200])


def test_nasty_text_is_inert_in_every_html_page(nasty_site):
    content, site = nasty_site
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 8
    shown = 0
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        where = page.relative_to(site).as_posix()
        # Every "<script" in the file is a real element (checked in _inert), none from snapshot text.
        assert raw.lower().count("<script") == len(BeautifulSoup(raw, "html.parser").find_all("script")), where
        assert "49" not in BeautifulSoup(raw, "html.parser").get_text().replace("2026", ""), where
        soup = BeautifulSoup(raw, "html.parser")
        _inert(soup, where)
        if "alert(1)" in raw:
            shown += 1
            text = soup.get_text()
            assert "{{ 7*7 }}" in text and "{% raw %}" in text and "**bold**" in text, where
            assert "<script>alert(1)</script>" in text and "[click](javascript:alert(1))" in text, where
    assert shown >= 4  # home, the day, the paper and its topic pages at least
    slug = _paper_slug(content, 0)
    paper = BeautifulSoup((site / "papers" / slug / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert paper.find("h1").get_text() == NASTY_TITLE
    assert NASTY_TITLE in paper.find("title").get_text()
    bare = BeautifulSoup((site / "papers" / _paper_slug(content, 1) / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    assert bare.find("h1").get_text() == BARE_TITLE


def _feed_html(path: Path) -> list[tuple[str, str]]:
    """(element, HTML) for every element of a feed whose text a reader renders as HTML:
    RSS description and content:encoded, Atom content/summary/title of type html or xhtml."""
    root = etree.parse(str(path)).getroot()
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        ns = etree.QName(element).namespace
        if root.tag == "rss" and (name == "description" or (name == "encoded" and ns and "content" in ns)):
            found.append((name, element.text or ""))
        elif ns == "http://www.w3.org/2005/Atom" and name in ("content", "summary", "title", "subtitle"):
            if element.get("type") in ("html", "xhtml"):
                found.append((name, element.text or etree.tostring(element, encoding="unicode")))
    return found


def test_nasty_text_is_inert_in_every_feed(nasty_site):
    _, site = nasty_site
    feeds = sorted(site.rglob("*.xml"))
    assert len(feeds) >= 4
    problems = []
    shown = 0
    for feed in feeds:
        raw = feed.read_text(encoding="utf-8")
        where = feed.relative_to(site).as_posix()
        assert "<script" not in raw.lower(), where
        for name, html in _feed_html(feed):
            soup = BeautifulSoup(html, "html.parser")
            try:
                _inert(soup, f"{where} <{name}>")
            except AssertionError:
                problems.append(f"{where} <{name}>: {html[:120]!r}")
                continue
            if "alert(1)" in html:
                shown += 1
                assert "{{ 7*7 }}" in soup.get_text() and "49" not in soup.get_text().replace("2026", ""), where
    assert not problems, "untrusted text becomes live HTML in feeds:\n" + "\n".join(problems)
    assert shown >= 2


def _paragraph_after(body: str, heading: str) -> str:
    """The last paragraph of the section whose heading contains ``heading`` (the abstract)."""
    section = next(part for part in body.split("\n## ") if part.split("\n", 1)[0].endswith(heading))
    return section.strip().split("\n\n")[-1]


def test_a_topic_page_shows_the_start_of_each_abstract_and_its_day_the_whole():
    meta, topic = split_page((CONTENT / "topics" / "llm-inference.md").read_text(encoding="utf-8"))
    _, day = split_page((CONTENT / "dates" / "2026-01-19.md").read_text(encoding="utf-8"))
    title = "Puzzle: Distillation-Based NAS for Inference-Optimized LLMs"
    whole, start = _paragraph_after(day, title), _paragraph_after(topic, title)
    assert len(whole) > 600 and 100 < len(start) <= 321
    assert whole.startswith(start.removesuffix("…"))
    sections = topic.split("\n## ")[1:]
    assert len(sections) == len(meta["papers"])
    assert all(len(section.strip().split("\n\n")[-1]) <= 321 for section in sections)


def test_front_matter_writes_a_value_given_twice_in_full():
    """Whether two equal dates are one object depends on how the model was made (a day's build
    unpickles papers one by one): the bytes must not, so YAML anchors and aliases are never used."""
    from digest.pages import front_matter

    day = dt.date(2026, 1, 19)
    names = ["a", "b"]
    text = front_matter({"first": day, "last": day, "x": names, "y": names})
    assert text == front_matter({"first": dt.date(2026, 1, 19), "last": dt.date(2026, 1, 19),
                                 "x": ["a", "b"], "y": ["a", "b"]})
    assert "&" not in text and "*" not in text and yaml.safe_load(text.strip("-\n")) == {
        "first": day, "last": day, "x": names, "y": names}


@pytest.mark.parametrize("value", ["1e3", "0o17", "0x10", "1_000", "12:30", "+1", "-1", ".5", ".inf", ".NaN",
                                   "y", "N", "yes", "Off", "on", "TRUE", "null", "~", "2026-01-19.txt", "3D it's"])
def test_front_matter_quotes_text_any_yaml_reader_could_take_for_another_type(value):
    """PyYAML quotes what YAML 1.1 as it reads it gives another type; Hugo's readers (YAML 1.2, or
    1.1 in full) take more for numbers and booleans: a title or slug "1e3" became 1000 there."""
    from digest.pages import front_matter

    text = front_matter({"title": value, "papers": [value]})
    assert yaml.safe_load(text.strip("-\n")) == {"title": value, "papers": [value]}
    body = text.split("\n")[1:-2]
    assert [line.split(" ", 1)[1][:1] for line in body if line != "papers:"] == ["'", "'"], text


# Attribute syntax, which Hugo reads at the end of a heading and MkDocs's attr_list after any
# element, HTML and entities as Python-Markdown (MkDocs) reads them, and a Liquid tag.
ATTRIBUTE_TITLES = ['Evil {onclick="alert(1)"}', 'Styled {style="position:fixed;top:0"}', "Id title {#owned .cls}"]
ODD_ABSTRACT = ('See https://x.org/a{: onclick="alert(2)"} now: Q&A, &amp; and &copy; &#65; stay text, as do '
                '<b>x</b>, (τ< 1.0), <16GB VRAM> and {% include x %}.')


def _attribute_snapshot() -> str:
    cards = "\n\n".join(f"{title}\n\n{ODD_ABSTRACT}\n\nOrg{n} Org {n}\n·\nJan {n}, 2026" for n, title
                        in enumerate(ATTRIBUTE_TITLES, 2))
    return f"Daily Papers\n\nJan 7\n\n{cards}\n"


def test_markdown_pages_read_the_same_and_stay_inert_in_python_markdown_and_with_attribute_plugins(tmp_path):
    """The pages are for other generators too: MkDocs (Python-Markdown, often with attr_list) and
    markdown-it with its attributes plugin show the text as it is and take no attribute from it."""
    import markdown
    from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin

    content = tmp_path / "content"
    (content / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)
    (content / "snapshots" / "2026-01-07.txt").write_text(_attribute_snapshot(), encoding="utf-8")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    _, body = split_page((content / "dates" / "2026-01-07.md").read_text(encoding="utf-8"))
    renderings = {
        "Python-Markdown with attr_list": markdown.markdown(body, extensions=["attr_list"]),
        "markdown-it with attrs": MarkdownIt("commonmark").use(attrs_plugin).use(attrs_block_plugin).render(body),
    }
    for name, html in renderings.items():
        soup = BeautifulSoup(html, "html.parser")
        attributes = {(tag.name, attr) for tag in soup.find_all(True) for attr in tag.attrs}
        assert attributes == {("a", "href")}, (name, attributes)
        assert [a["href"] for a in soup.find_all("a")] == ["https://x.org/a"] * 3, name
        assert not soup.find_all(["b", "script"]), name
        headings = [h.get_text() for h in soup.find_all("h2")]
        assert headings == [f"{rank}. {title}" for rank, title in enumerate(ATTRIBUTE_TITLES, 1)], (name, headings)
        abstracts = [p.get_text() for p in soup.find_all("p") if p.get_text().startswith("See ")]
        assert abstracts == [ODD_ABSTRACT] * 3, (name, abstracts)


def test_a_markdown_page_gives_each_paper_the_facts_its_html_page_gives(tmp_path):
    """Who, when published, upvotes and comments: the same line as the site's, the feeds' and the e-mail's."""
    from conftest import FIXTURES, copy_content

    content = copy_content(tmp_path / "content")
    (content / "snapshots" / "2026-01-19.txt").unlink()
    shutil.copyfile(FIXTURES / "json" / "2026-01-19.json", content / "snapshots" / "2026-01-19.json")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    _, body = split_page((content / "dates" / "2026-01-19.md").read_text(encoding="utf-8"))
    html = BeautifulSoup((tmp_path / "site" / "dates" / "2026-01-19" / "index.html").read_text(), "html.parser")
    shown = [" · ".join(span.get_text(" ", strip=True) for span in meta.find_all("span", recursive=False)
                        if "badge" not in span.get("class", [])) for meta in html.select("article.paper p.meta")]
    assert shown == ["3 authors · published 28 Nov 2024 · 18 upvotes · 2 comments",
                     "Wan · published 26 Mar 2025 · 2 comments", "1 author · published 15 Jan 2026 · 7 upvotes"]
    rendered = BeautifulSoup(MarkdownIt("commonmark").render(body), "html.parser").get_text()
    assert all(line in rendered for line in shown), (shown, rendered[:2000])


def test_a_day_page_links_the_day_before_and_after_as_the_sites_pager_does(built_site):
    """Read on their own (on GitHub, say), the day pages lead from one to the next."""
    content = built_site.parent / "content"
    pages = sorted((content / "dates").glob("*.md"))
    assert len(pages) == 4
    for page in pages:
        meta, body = split_page(page.read_text(encoding="utf-8"))
        soup = BeautifulSoup(MarkdownIt("commonmark").render(body), "html.parser")
        links = [a["href"] for a in soup.find_all("a") if not a["href"].startswith("https://")]  # not abstracts' URLs
        expected = [f"{day.isoformat()}.md" for day in (meta["previous"], meta["next"]) if day]
        assert links == expected, (page.name, links)
        assert all((page.parent / link).is_file() for link in links)
