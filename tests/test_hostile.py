"""Hostile input: random text into every parser, and script that must stay inert in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT, FIXTURES, copy_content, run_cli, tree
from digest.errors import SnapshotError
from digest.inputs import default_templates_dir
from digest.parse import MAX_SNAPSHOT_BYTES, decode_snapshot, parse_snapshot
from digest.parse.api import parse_json_snapshot
from digest.parse.crawl import parse_crawler_dump
from digest.parse.html import parse_html_snapshot
from digest.parse.text import parse_text_snapshot

SEED = (CONTENT / "snapshots" / "2025-12-16.txt").read_text()
PARSERS = [parse_snapshot, parse_text_snapshot, parse_crawler_dump, parse_html_snapshot, parse_json_snapshot]
FRAGMENTS = ["Daily Papers", "Dec 16", "May 14 5", "Nov 7, 2024 2", "Feb 29", "·", "  • 5 authors", "deepseek-ai DeepSeek",
             "### [T](/papers/2506.13585)", "[ 6](https://huggingface.co/papers/2506.13585#community)", "-", "12",
             "<article><h3><a href=\"/papers/2501.00001\">x</a></h3></article>", "<html>", "{\"paper\": {}}", "[",
             "]", "{", "}", "\"title\"", ":", ",", "\n", "\n\n", "\r\n", "\u00a0", "{{ 7*7 }}", "<script>", "\x00"]
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_snapshot_errors(parser, text: str) -> None:
    try:
        parser(text, "fuzz.txt")
    except SnapshotError:
        pass


@CHECKS
@given(st.text())
def test_any_text_gives_a_snapshot_or_a_snapshot_error(text):
    for parser in PARSERS:
        only_snapshot_errors(parser, text)


@CHECKS
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=60).map("".join))
def test_snapshot_like_fragments_give_a_snapshot_or_a_snapshot_error(text):
    for parser in PARSERS:
        only_snapshot_errors(parser, text)


@CHECKS
@given(st.data())
def test_a_real_snapshot_cut_or_spliced_anywhere_is_handled(data):
    start = data.draw(st.integers(0, len(SEED)))
    end = data.draw(st.integers(start, len(SEED)))
    insert = data.draw(st.sampled_from(FRAGMENTS) | st.text(max_size=10))
    only_snapshot_errors(parse_snapshot, SEED[:start] + insert + SEED[end:])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["paper", "id", "title", "summary", "authors", "name", "publishedAt", "upvotes",
                         "numComments", "organization", "fullname", "githubRepo", "ai_keywords", "x"]),
        children, max_size=6),
    max_leaves=30)


@CHECKS
@given(st.lists(json_values, max_size=5))
def test_any_json_array_gives_a_snapshot_or_a_snapshot_error(items):
    only_snapshot_errors(parse_json_snapshot, json.dumps(items))
    props = json.dumps({"dailyPapers": items}).replace("&", "&amp;").replace('"', "&quot;")
    only_snapshot_errors(parse_html_snapshot, f'<html><body><div data-target="DailyPapers" data-props="{props}">'
                                              f'</div></body></html>')


@CHECKS
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_give_a_snapshot_error(data):
    try:
        text = decode_snapshot(data, "bytes.txt")
    except SnapshotError:
        return
    only_snapshot_errors(parse_snapshot, text)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(SnapshotError, match="far larger than a day's page"):
        decode_snapshot(b"a" * (MAX_SNAPSHOT_BYTES + 1), "huge.txt")


# --- script in every field, opened in a real browser ---------------------------------------------

PAYLOAD = "<img src=x onerror=\"window.__xss=1;alert(1)\"><script>window.__xss=2;alert(2)</script>{{ 7*7 }}"


def hostile_content(folder: Path) -> Path:
    """The bundled content plus a text and a JSON snapshot of 2026-01-20 with script in every field."""
    shutil.copytree(CONTENT / "snapshots", folder / "snapshots")
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, folder / name)
    text = (f"Daily Papers\n\nJan 20\n\nInference {PAYLOAD} title\n\nAbstract with {PAYLOAD} and "
            f"[link](javascript:alert(3)) and https://example.org/ok.\n\nevil-org Evil {PAYLOAD}\n·\nJan 19 3\n")
    (folder / "snapshots" / "2026-01-20.txt").write_text(text)
    items = json.loads((FIXTURES / "json" / "2026-01-19.json").read_text())
    item = items[1]
    item["paper"]["id"] = "2601.09999"
    item["paper"]["title"] = f"Serving {PAYLOAD} kernels"
    item["paper"]["summary"] = f"Summary {PAYLOAD}"
    item["paper"]["authors"] = [{"name": PAYLOAD}]
    item["paper"]["ai_keywords"] = [PAYLOAD]
    item["paper"]["githubRepo"] = "javascript:alert(4)"
    item["paper"]["projectPage"] = "https://example.org/\"onmouseover=\"alert(5)"
    item["paper"]["organization"] = {"name": "evil", "fullname": PAYLOAD}
    item["paper"]["submittedOnDailyAt"] = "2026-01-20T00:00:00.000Z"
    (folder / "snapshots" / "2026-01-20.json").write_text(json.dumps([item]))
    return folder


def test_script_in_every_field_stays_inert_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    content = hostile_content(tmp_path / "content")
    site = tmp_path / "site"
    result = run_cli("build", "--content", content, "--out", site)
    assert result.returncode == 0, result.stderr
    pages = ["index.html", "dates/2026-01-20/index.html", "papers/2601.09999/index.html",
             "topics/llm-inference/index.html", "email/2026-01-20.html", "archive/index.html"]
    pages += [p.relative_to(site).as_posix() for p in (site / "papers").glob("inference-img*/index.html")]
    assert len(pages) == 7, "the text snapshot's paper has a page"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            for path in pages:
                page = browser.new_page()
                dialogs = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                           else route.continue_())
                page.goto((site / path).as_uri())
                # Fire the events injected handlers would wait for, on every element.
                page.evaluate("""for (const el of document.querySelectorAll('*')) {
                    for (const kind of ['mouseover', 'focus', 'click']) {
                        if (kind === 'click' && el.closest('a')) continue;
                        el.dispatchEvent(new Event(kind, {bubbles: true}));
                    }
                }""")
                assert page.evaluate("window.__xss") is None, path
                assert dialogs == [], (path, dialogs)
                if path != "archive/index.html":  # the archive lists days, not papers
                    assert "{{ 7*7 }}" in page.content(), path  # shown as text, never evaluated
                hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
                assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))], path
                page.close()
        finally:
            browser.close()
    # Nothing was written outside the output folder, but for the build cache beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.cache", "content", "site"]


def test_script_in_search_results_stays_inert_in_chromium(tmp_path):
    """Pagefind's page shows titles and excerpts of what it indexed: the payload there is text too.
    The search page fetches its index, so the site is served over HTTP (on 127.0.0.1)."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    content = hostile_content(tmp_path / "content")
    site = tmp_path / "site"
    result = run_cli("build", "--content", content, "--out", site)
    assert result.returncode == 0, result.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            try:
                for query in ("onerror", "Summary"):  # in the titles; in an abstract only
                    page = browser.new_page()
                    dialogs = []
                    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(base)
                               else route.continue_())
                    page.goto(f"{base}search/?q={query}", wait_until="load")
                    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
                    page.locator(".pagefind-ui__result-excerpt").first.wait_for(timeout=15000)
                    page.evaluate("""for (const el of document.querySelectorAll('*')) {
                        for (const kind of ['mouseover', 'focus']) el.dispatchEvent(new Event(kind, {bubbles: true}));
                    }""")
                    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
                    assert any("<script>window.__xss=2;alert(2)</script>" in title for title in titles), titles
                    assert page.locator("#search img, #search script").count() == 0, query
                    assert page.evaluate("window.__xss") is None and dialogs == [], (query, dialogs)
                    page.close()
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- bad snapshots end to end: one line naming the file, the old site untouched ------------------

def _deep_json_item() -> bytes:
    return ('[{"paper": {"title": "x", "summary": ' + "[" * 100_000 + "]" * 100_000 + "}}]").encode()


BAD_SNAPSHOTS = {
    "deep JSON in an item": ("2026-01-21.json", _deep_json_item(), ":1: invalid JSON: nested too deeply"),
    "deep JSON in dailyPapers": ("2026-01-21.json", ('{"dailyPapers": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
                                 ":1: invalid JSON: nested too deeply"),
    "a number of 5,000 digits": ("2026-01-21.json",
                                 ('[{"paper": {"id": "2601.00003", "title": "Big", "upvotes": 1' + "0" * 5000 + "}}]")
                                 .encode(), ":1: invalid JSON: a number too long"),
    "a title of control characters": ("2026-01-21.txt", b"Daily Papers\n\nJan 21\n\n\x01\x02\n\nAn abstract.\n",
                                      ":5: card 1 has a title of invisible characters only"),
    "a title of zero-width characters": ("2026-01-21.json", json.dumps([{"paper": {
        "id": "2601.00005", "title": "\u200b\u200d\u2066 \u200f", "summary": "An abstract."}}]).encode(),
        ":1: card 1 has a title of invisible characters only"),
    "a title of Hangul fillers and blank Braille": ("2026-01-21.json", json.dumps([{"paper": {
        "id": "2601.00005", "title": "\u3164\u2800\u115f \u1160", "summary": "An abstract."}}]).encode(),
        ":1: card 1 has a title of invisible characters only"),
    "millions of tiny cards": ("2026-01-21.txt", b"Jan 21\n\n" + b"a\n\nb\n\n" * 1_500_000,
                               ":1: not a day's list: more than 20,000 blocks of text"),
    "a title of a megabyte": ("2026-01-21.json", json.dumps([{"paper": {"id": "2601.00004", "title": "T" * 1_000_000}}])
                              .encode(), ":1: card 1 has a title of 1,000,000 characters"),
    "an abstract of 40 MB": ("2026-01-21.txt", b"Daily Papers\n\nJan 21\n\nA title\n\n" + b"word " * 8_000_000,
                             ":5: card 1, 'A title', has an abstract of 39,999,999 characters"),
    "a year-less Feb 29 in a common year": ("2026-03-01.txt", b"Daily Papers\n\nMar 1\n\nA title\n\nAn abstract\n\n"
                                            b"\xe2\x80\xa2 3 authors\n\xc2\xb7\nFeb 29 2\n", ":5: card 'A title' is dated Feb 29"),
    "no year fits before 10000": ("notes.txt", b"Daily Papers\n\nDec 16\n\nA title\n\nAn abstract\n\n"
                                  b"\xe2\x80\xa2 3 authors\n\xc2\xb7\nDec 16, 9999 2\n", ":3: no year fits"),
}


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """The bundled content built once: (content, site, the site's files and their hashes)."""
    root = tmp_path_factory.mktemp("bad-snapshots")
    content = root / "content"
    shutil.copytree(CONTENT / "snapshots", content / "snapshots")
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)
    result = run_cli("build", "--content", content, "--out", root / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    return content, root / "site", tree(root / "site")


@pytest.mark.parametrize("case", sorted(BAD_SNAPSHOTS))
def test_a_bad_snapshot_fails_the_build_in_one_line_and_leaves_the_site(built_once, case):
    content, site, before = built_once
    name, data, message = BAD_SNAPSHOTS[case]
    bad = content / "snapshots" / name
    bad.write_bytes(data)
    try:
        for command in (("check", "--content", content), ("build", "--content", content, "--out", site, "--no-search")):
            result = run_cli(*command, timeout=60)
            assert result.returncode == 1, (command, result.stderr)
            assert "Traceback" not in result.stderr
            lines = result.stderr.strip().splitlines()
            assert any(f"{name}{message}" in line for line in lines), result.stderr
            if command[0] == "build":
                assert len(lines) == 1, result.stderr
        assert tree(site) == before
    finally:
        bad.unlink()


def test_control_characters_and_lone_surrogates_leave_every_text_field(tmp_path):
    """They cannot be written as UTF-8 or put in a feed (XML); the rest of the text stays."""
    item = {"paper": {"id": "2601.00011", "title": "Surrogate \ud800 title\x01", "summary": "An\x00 abstract\x1b.",
                      "authors": [{"name": "A\x7fB"}], "ai_keywords": ["k\x85w"],
                      "organization": {"name": "org", "fullname": "Org\x0c Name"}},
            "publishedAt": "2026-01-20T00:00:00.000Z"}
    snapshot = parse_snapshot(json.dumps([item]), "2026-01-21.json")
    [card] = snapshot.cards
    assert (card.title, card.abstract) == ("Surrogate \ufffd title", "An abstract.")
    assert card.author_names == ("AB",) and card.keywords == ("k w",)
    assert card.organization.name == "Org Name"
    text = parse_snapshot("Daily Papers\n\nJan 21\n\nInference \x01 title\n\nAn \x1b abstract.\n", "2026-01-21.txt")
    assert (text.cards[0].title, text.cards[0].abstract) == ("Inference title", "An abstract.")


@CHECKS
@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF), min_size=1, max_size=30),
       st.text(alphabet=st.characters(max_codepoint=0xFFFF), max_size=30))
def test_parsed_text_can_always_be_written_and_put_in_a_feed(title, abstract):
    item = {"paper": {"id": "2601.00012", "title": title, "summary": abstract}}
    try:
        snapshot = parse_snapshot(json.dumps([item]), "2026-01-21.json")
    except SnapshotError:
        return
    for card in snapshot.cards:
        for text in (card.title, card.abstract):
            text.encode("utf-8")  # no lone surrogate
            assert not any(ord(c) < 32 and c not in "\t\n\r" or 0x7f <= ord(c) <= 0x9f or c in "\ufffe\uffff"
                           for c in text), repr(text)


# --- a content or output folder in a state digest did not leave it in ----------------------------

def _one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(f in lines[0] for f in fragments), result.stderr


def test_a_folder_where_a_markdown_page_goes_fails_the_build_in_one_line(built_once):
    content, site, before = built_once
    page = content / "dates" / "2026-01-07.md"
    kept = page.read_bytes()
    page.unlink()
    page.mkdir()
    try:
        _one_line_error(run_cli("build", "--content", content, "--out", site, "--no-search"),
                        str(page), "not a file")
        assert tree(site) == before
    finally:
        page.rmdir()
        page.write_bytes(kept)


def test_a_file_where_the_build_cache_goes_fails_the_build_in_one_line(tmp_path):
    content = shutil.copytree(CONTENT, tmp_path / "content")
    (tmp_path / ".site.cache").write_text("not a folder")
    _one_line_error(run_cli("build", "--content", content, "--out", tmp_path / "site"),
                    ".site.cache", "not a folder")
    assert not (tmp_path / "site").exists()


def test_a_build_cache_that_cannot_be_written_says_why_and_not_to_remove_it(tmp_path, monkeypatch):
    """On a read-only file system the cache cannot be made: removing it would not help."""
    import errno

    from digest import cache as cache_module
    from digest.errors import DigestError

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(cache_module.os, "open", read_only)
    with pytest.raises(DigestError) as raised:
        with cache_module.build_lock(tmp_path / ".site.cache"):
            pass
    assert str(raised.value).endswith("cannot use the build cache: Read-only file system")


def test_a_path_with_a_line_break_in_its_name_is_named_on_one_line(tmp_path):
    content = shutil.copytree(CONTENT, tmp_path / "con\ntent")
    (content / "site.yaml").write_text("title: [unclosed\n")
    _one_line_error(run_cli("build", "--content", content, "--out", tmp_path / "site"),
                    "con\\ntent/site.yaml:")


def test_a_build_cache_that_is_a_link_is_refused_and_where_it_leads_is_left_alone(tmp_path):
    """A build writes and removes files in its cache: never wherever a planted link leads."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    victim = tmp_path / "victim"
    (victim / "site").mkdir(parents=True)
    (victim / "site" / "keep.txt").write_text("mine")
    (victim / "manifest.json").write_text("mine")
    (tmp_path / ".site.cache").symlink_to(victim)
    _one_line_error(run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search"),
                    ".site.cache", "it is a link")
    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == ["manifest.json", "site", "site/keep.txt"]
    assert (victim / "manifest.json").read_text() == "mine"
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("folder", ["dates", "topics", "topics/agents"])
def test_a_folder_of_markdown_pages_that_is_a_link_is_refused_by_build_and_check(tmp_path, folder):
    """The build writes and removes Markdown pages there: never through a link to elsewhere."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.md").write_text("---\ngenerator: digest\n---\n")
    linked = content / folder
    if linked.exists():
        shutil.rmtree(linked)
    linked.parent.mkdir(parents=True, exist_ok=True)
    linked.symlink_to(elsewhere)
    for command in (["build", "--out", tmp_path / "site", "--no-search"], ["check"]):
        result = run_cli(*command, "--content", content)
        _one_line_error(result, str(linked), "a link, where digest keeps its Markdown pages")
    assert [p.name for p in elsewhere.iterdir()] == ["mine.md"]
    assert not (tmp_path / "site").exists()


def test_a_link_to_nowhere_where_a_topics_archive_goes_is_told_as_a_link(tmp_path):
    """mkdir said "File exists", naming the link, which is no file."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    with open(content / "site.yaml", "a", encoding="utf-8") as config:
        config.write("topic_page_size: 5\n")  # archive pages for the bigger topics
    assert run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search").returncode == 0
    archive = next(p for p in sorted((content / "topics").iterdir()) if p.is_dir())
    shutil.rmtree(archive)
    archive.symlink_to(tmp_path / "nowhere")
    (content / "snapshots" / "2026-01-19.txt").write_text(
        (content / "snapshots" / "2026-01-19.txt").read_text().replace("We ", "We now ", 1))
    for command in (["build", "--out", tmp_path / "site", "--no-search"], ["check"]):  # check passed it
        result = run_cli(*command, "--content", content)
        _one_line_error(result, str(archive), "a link, where digest keeps its Markdown pages")
    assert not (tmp_path / "nowhere").exists()

@pytest.mark.parametrize("folder", ["dates", "topics"])
def test_a_file_where_a_folder_of_markdown_pages_goes_is_refused_by_build_and_check(tmp_path, folder):
    """check passed it, and build failed on it with "could not write: File exists"."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    shutil.rmtree(content / folder, ignore_errors=True)
    (content / folder).write_text("notes\n")
    for command in (["build", "--out", tmp_path / "site", "--no-search"], ["check"]):
        result = run_cli(*command, "--content", content)
        _one_line_error(result, str(content / folder), "not a folder, where digest keeps its Markdown pages")
    assert (content / folder).read_text() == "notes\n" and not (tmp_path / "site").exists()


def test_a_first_build_that_fails_leaves_nothing_behind(tmp_path):
    """No site and no build cache: here --content names a built site, which has no site.yaml."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search", "-q")
    assert result.returncode == 0, result.stderr
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("build", "--content", tmp_path / "site", "--out", tmp_path / "other", "--no-search")
    assert result.returncode == 1 and "site.yaml: file not found" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_only_pages_whose_front_matter_says_digest_made_them_are_removed(tmp_path):
    content = shutil.copytree(CONTENT, tmp_path / "content")
    notes = content / "dates" / "notes.md"
    notes.write_text("My own notes; they mention generator: digest in passing.\n")
    stale = content / "dates" / "2020-01-01.md"
    stale.write_text("---\ntitle: An old day\ndate: 2020-01-01\ntype: day\ngenerator: digest\n---\n\nGone.\n")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    assert notes.is_file() and not stale.exists()


def test_a_copy_of_a_generated_page_under_a_name_of_the_users_is_theirs(tmp_path):
    """A page digest made, copied under another name to annotate or keep it, still says it is
    digest's: it is the user's all the same, never removed.  The pages of a day or a topic that
    is gone, at the names digest gave them, are removed, and the archive folder they leave empty."""
    content = copy_content(tmp_path / "content")
    (content / "site.yaml").write_text((CONTENT / "site.yaml").read_text() + "topic_page_size: 5\n")
    assert run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search").returncode == 0
    copies = {content / "dates" / "2026-01-19-annotated.md": content / "dates" / "2026-01-19.md",
              content / "topics" / "llm-inference-backup.md": content / "topics" / "llm-inference.md",
              content / "topics" / "llm-inference" / "page-99.md": content / "topics" / "llm-inference" / "page-1.md"}
    for copy, page in copies.items():
        copy.write_bytes(page.read_bytes() + b"\nMy notes.\n")
    (content / "snapshots" / "2025-11-03.txt").unlink()
    topics = (content / "topics.yaml").read_text()
    start = topics.index("  - slug: mixture-of-experts")
    end = topics.find("  - slug:", start + 1)
    (content / "topics.yaml").write_text(topics[:start] + (topics[end:] if end > 0 else ""))
    assert (content / "topics" / "mixture-of-experts" / "page-1.md").is_file()
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    assert all(copy.read_bytes().endswith(b"My notes.\n") for copy in copies)
    assert not (content / "dates" / "2025-11-03.md").exists()
    assert not (content / "topics" / "mixture-of-experts.md").exists()
    assert not (content / "topics" / "mixture-of-experts").exists()


def test_an_endless_file_is_read_no_further_than_the_size_limit(tmp_path):
    link = tmp_path / "2026-01-21.txt"
    link.symlink_to("/dev/zero")
    _one_line_error(run_cli("parse", link, timeout=30), str(link), "far larger than a day's page")


def test_a_named_pipe_is_not_waited_on(tmp_path):
    pipe = tmp_path / "2026-01-21.txt"
    os.mkfifo(pipe)
    _one_line_error(run_cli("parse", pipe, timeout=30), str(pipe), "not a regular file")


def test_a_file_with_nothing_to_read_yet_is_not_waited_on(tmp_path):
    """A terminal nobody types into (as /proc/kmsg with no kernel message): read without
    blocking, it has nothing, which is an error, not an internal one or a wait."""
    controller, terminal = os.openpty()
    try:
        link = tmp_path / "2026-01-21.txt"
        link.symlink_to(os.ttyname(terminal))
        _one_line_error(run_cli("parse", link, timeout=30), str(link), "nothing to read without waiting")
    finally:
        os.close(controller)
        os.close(terminal)


def test_a_file_of_thousands_of_cards_is_not_a_day(tmp_path):
    cards = "".join(f"Paper {i} on inference\n\nAbstract {i}.\n\n" for i in range(1001))
    path = tmp_path / "2026-01-21.txt"
    path.write_text(f"Daily Papers\n\nJan 21\n\n{cards}")
    _one_line_error(run_cli("parse", path, timeout=30), f"{path}:1:", "1,001 papers")


def test_titles_of_punctuation_alone_are_different_papers(tmp_path):
    content = tmp_path / "content"
    (content / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)
    titles = ["!!!", "???", "..", "../.."]
    (content / "snapshots" / "2026-01-21.txt").write_text(
        "Daily Papers\n\nJan 21\n\n" + "".join(f"{t}\n\nAbstract {i}.\n\n" for i, t in enumerate(titles)))
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    pages = sorted((tmp_path / "site" / "papers").glob("*/index.html"))
    assert len(pages) == 4
    shown = {re.search(r"<h1[^>]*>(.*?)</h1>", p.read_text())[1] for p in pages}
    assert shown == {"!!!", "???", "..", "../.."}


@pytest.mark.parametrize("name, told", [
    (b"2026-01-20-\xff.txt", "the file name is not UTF-8 text: rename the file"),
    (b"2026-01-20-\x01.txt", "the file name holds U+0001, which is no printable character: rename the file"),
    ("2026-01-20\u00a0copy.txt".encode(), "the file name holds U+00A0, which is no printable character"),
])
def test_a_snapshot_file_name_that_is_not_printable_utf8_is_a_one_line_error(tmp_path, name, told):
    content = shutil.copytree(CONTENT, tmp_path / "content")
    text = (CONTENT / "snapshots" / "2026-01-19.txt").read_text().replace("\nJan 19\n", "\nJan 20\n")
    with open(os.path.join(os.fsencode(content / "snapshots"), name), "wb") as stream:
        stream.write(text.encode())
    _one_line_error(run_cli("build", "--content", content, "--out", tmp_path / "site"), "2026-01-20", told)
    assert not (tmp_path / "site").exists()


def _refused_by_build_and_check(built_once, problems: list[str]) -> None:
    """The build fails in one line, naming the first problem, and leaves the site as it was;
    ``digest check`` lists every problem."""
    content, site, before = built_once
    _one_line_error(run_cli("build", "--content", content, "--out", site, "--no-search", timeout=60), problems[0])
    assert tree(site) == before
    result = run_cli("check", "--content", content, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for problem in problems:
        assert problem in result.stderr


def test_entries_named_like_snapshots_that_are_no_files_are_errors_not_left_out(built_once):
    """A folder, a link to nothing or a named pipe named like a snapshot: the build names it in
    one line and leaves the site; ``digest check`` lists them all."""
    content = built_once[0]
    folder, link, pipe = (content / "snapshots" / name for name in ("2026-01-20.txt", "2026-01-21.txt", "2026-01-22.json"))
    folder.mkdir()
    link.symlink_to(content / "gone.txt")
    os.mkfifo(pipe)
    try:
        _refused_by_build_and_check(built_once, [f"{path}: named like a snapshot, but {what}" for path, what in (
            (folder, "a folder"), (link, "a link to nothing"), (pipe, "not a regular file"))])
    finally:
        folder.rmdir()
        link.unlink()
        pipe.unlink()


def test_digest_add_reads_a_file_as_a_build_does(tmp_path):
    """Bounded and without waiting: a named pipe and an endless file are one-line errors."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    pipe, endless = tmp_path / "2026-01-21.txt", tmp_path / "2026-01-22.txt"
    os.mkfifo(pipe)
    endless.symlink_to("/dev/zero")
    _one_line_error(run_cli("add", "--content", content, pipe, timeout=30), str(pipe), "not a regular file")
    _one_line_error(run_cli("add", "--content", content, endless, timeout=30), str(endless), "more than 50 MB")
    assert sorted(p.name for p in (content / "snapshots").iterdir()) == sorted(
        p.name for p in (CONTENT / "snapshots").iterdir())


def test_a_link_planted_where_a_temporary_file_goes_is_replaced_not_followed(tmp_path):
    """Markdown pages and added snapshots are written to a temporary name first; a link put there
    must not make digest write to where it points."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    victim = tmp_path / "victim.md"
    victim.write_text("mine")
    (content / "dates" / ".2026-01-19.md.tmp").symlink_to(victim)
    (content / "dates" / "2026-01-19.md").unlink()  # so that the build writes it
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "mine"
    page = content / "dates" / "2026-01-19.md"
    assert page.is_file() and not page.is_symlink() and "generator: digest" in page.read_text()
    (content / "snapshots" / ".2026-01-21.txt.tmp").symlink_to(victim)
    new = tmp_path / "2026-01-21.txt"
    new.write_text((CONTENT / "snapshots" / "2026-01-19.txt").read_text().replace("\nJan 19\n", "\nJan 21\n"))
    result = run_cli("add", "--content", content, new)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "mine" and not (content / "snapshots" / "2026-01-21.txt").is_symlink()


def test_things_named_like_markdown_pages_that_are_no_files_are_errors_in_build_and_check(built_once):
    """A named pipe or a link to a device among the Markdown pages, even where no page of this
    build goes: ``check`` and ``build`` agree, and neither waits on it or reads it."""
    content = built_once[0]
    pipe, device = content / "dates" / "notes.md", content / "topics" / "zero.md"
    os.mkfifo(pipe)
    device.symlink_to("/dev/zero")
    try:
        _refused_by_build_and_check(built_once, [f"{path}: not a file, named like a generated Markdown page"
                                                 for path in (pipe, device)])
    finally:
        pipe.unlink()
        device.unlink()


#: Runs a command and writes its peak resident memory (KiB) to the file named first.  A small process
#: of its own starts it: Linux counts in a child's peak the memory of the process it was forked
#: from, and the test process may hold hundreds of MB by then.
_PEAK_OF = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL).returncode
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def _peak_rss_mib(*args) -> tuple[int, int, str]:
    """Run the CLI; (exit code, the process's peak resident memory in MiB, standard error)."""
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        result = subprocess.run([sys.executable, "-c", _PEAK_OF, peak, sys.executable, "-m", "digest", *map(str, args)],
                                stderr=subprocess.PIPE, text=True)
        return result.returncode, int(peak.read_text()) // 1024, result.stderr


def test_a_huge_hand_written_page_beside_the_markdown_pages_is_hashed_not_held(tmp_path):
    """A 2 GB file among the Markdown pages (sparse: no disk is used) is the user's page: it is
    hashed in blocks, so the build's memory stays far below its size."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    huge = content / "dates" / "notes.md"
    with open(huge, "wb") as stream:
        stream.truncate(2 * 1024**3)
    code, peak, errors = _peak_rss_mib("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert code == 0, errors
    assert peak < 600, peak
    assert huge.stat().st_size == 2 * 1024**3


def test_a_lone_surrogate_a_template_makes_is_a_one_line_error_and_the_old_site_stays(tmp_path):
    templates = shutil.copytree(default_templates_dir(), tmp_path / "templates")
    content = shutil.copytree(CONTENT, tmp_path / "content")
    site = tmp_path / "site"
    command = ("build", "--content", content, "--out", site, "--templates", templates, "--no-search")
    assert run_cli(*command).returncode == 0
    before = tree(site)
    paper = templates / "paper.html"
    paper.write_text(paper.read_text().replace("{% block content %}", '{% block content %}{{ "\\udcff" }}', 1))
    result = run_cli(*command)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.splitlines()
    assert re.fullmatch(r"digest: error: papers/[^/]+/index\.html: its text is not Unicode throughout "
                        r"\(a lone surrogate at character [\d,]+\), made by a template", line), line
    assert tree(site) == before


def test_a_huge_template_or_asset_is_a_one_line_error(tmp_path):
    templates = shutil.copytree(default_templates_dir(), tmp_path / "templates")
    content = shutil.copytree(CONTENT, tmp_path / "content")
    site = tmp_path / "site"
    with open(templates / "day.html", "ab") as stream:
        stream.truncate(3 * 1024**3)
    _one_line_error(run_cli("build", "--content", content, "--out", site, "--templates", templates, "--no-search"),
                    str(templates / "day.html"), "template larger than 1024 KB")
    assert not site.exists()
    shutil.copyfile(default_templates_dir() / "day.html", templates / "day.html")
    with open(templates / "assets" / "huge.png", "wb") as stream:
        stream.truncate(3 * 1024**3)
    _one_line_error(run_cli("build", "--content", content, "--out", site, "--templates", templates, "--no-search"),
                    str(templates / "assets" / "huge.png"), "asset larger than 20 MB")
    assert not site.exists()
