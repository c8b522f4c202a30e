"""Tests of digest.search: what Pagefind is given to index."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, copy_content, run_cli, tree
from digest import search
from digest.build import build
from digest.errors import DigestError
from digest.search import _executable, indexable_copy, prune_copies, update_copies


def _index(pages, folder):
    subprocess.run([_executable(), "--site", str(pages), "--output-path", str(folder), "--silent",
                    "--force-language", "en"], check=True, timeout=120)
    return tree(folder)


def test_pagefind_given_only_the_indexed_element_makes_the_same_index(built_site, tmp_path):
    """The copies Pagefind reads hold only a page's data-pagefind-body element: the index, and so
    every result, is byte for byte the one the whole pages give."""
    whole, stripped = tmp_path / "whole", tmp_path / "stripped"
    whole.mkdir()
    stripped.mkdir()
    papers = sorted((built_site / "papers").iterdir())[:8]
    for paper in papers:
        os.link(paper / "index.html", whole / f"{paper.name}.html")
        indexable_copy(paper / "index.html", stripped / f"{paper.name}.html")
    assert all((stripped / f"{p.name}.html").stat().st_size < (p / "index.html").stat().st_size for p in papers)
    assert _index(stripped, tmp_path / "a") == _index(whole, tmp_path / "b")


def test_a_page_without_one_indexed_element_is_given_whole(tmp_path):
    """Templates of one's own may mark no element, or several: Pagefind then reads the page."""
    for name, body in (("none", "<main><h1>A</h1></main>"),
                       ("two", "<article data-pagefind-body><h1>A</h1></article>"
                               "<article data-pagefind-body><h1>B</h1></article>")):
        page = tmp_path / f"{name}.html"
        page.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
        indexable_copy(page, tmp_path / f"{name}-copy.html")
        assert (tmp_path / f"{name}-copy.html").read_bytes() == page.read_bytes()


def _page(site, slug, text):
    page = site / "papers" / slug / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<!DOCTYPE html><html><body><article data-pagefind-body><h1>{text}</h1></article></body></html>")
    return f"papers/{slug}/index.html"


def _sha(site, page):
    return hashlib.sha256((site / page).read_bytes()).hexdigest()


def test_copies_of_unchanged_pages_are_kept_and_the_others_made_again(tmp_path):
    """A day's build copies the pages it changed, not every page of the month: a copy whose page
    has the same bytes is left as it is; a changed page is copied again, a page gone loses its copy."""
    site, copies = tmp_path / "site", tmp_path / "copies" / "newest"
    pages = [_page(site, slug, slug.upper()) for slug in ("a", "b", "c")]
    update_copies(copies, site, {p: _sha(site, p) for p in pages}, "v1")
    assert sorted(p.name for p in copies.iterdir()) == ["papers_a.html", "papers_b.html", "papers_c.html"]
    inodes = {p.name: p.stat().st_ino for p in copies.iterdir()}
    os.utime(copies / "papers_a.html", ns=(0, 0))

    _page(site, "b", "B, edited")
    _page(site, "d", "D")
    now = ["papers/a/index.html", "papers/b/index.html", "papers/d/index.html"]
    update_copies(copies, site, {p: _sha(site, p) for p in now}, "v1")
    assert sorted(p.name for p in copies.iterdir()) == ["papers_a.html", "papers_b.html", "papers_d.html"]
    assert (copies / "papers_a.html").stat().st_mtime_ns == 0  # not written again
    assert (copies / "papers_a.html").stat().st_ino == inodes["papers_a.html"]
    assert b"B, edited" in (copies / "papers_b.html").read_bytes()
    for name in ("a", "b", "d"):  # each as a fresh copy makes it
        indexable_copy(site / f"papers/{name}/index.html", tmp_path / "fresh.html")
        assert (copies / f"papers_{name}.html").read_bytes() == (tmp_path / "fresh.html").read_bytes()


def test_copies_are_made_again_without_their_record_or_by_another_version(tmp_path):
    """A build stopped while it updated the copies leaves no record: the next one trusts none of
    them.  Nor does another version of digest."""
    site, copies = tmp_path / "site", tmp_path / "copies" / "2025-01"
    page = _page(site, "a", "A")
    update_copies(copies, site, {page: _sha(site, page)}, "v1")
    (copies / "papers_a.html").write_text("stale")
    (copies.parent / "2025-01.json").unlink()
    update_copies(copies, site, {page: _sha(site, page)}, "v1")
    assert b"<h1>A</h1>" in (copies / "papers_a.html").read_bytes()

    (copies / "papers_a.html").write_text("stale")  # the record is there, by version 1
    update_copies(copies, site, {page: _sha(site, page)}, "v2")
    assert b"<h1>A</h1>" in (copies / "papers_a.html").read_bytes()


def test_a_copy_that_is_the_whole_page_is_replaced_never_written_into(tmp_path):
    """A page without one indexed element is given whole, as a hard link to the site's file:
    when that page changes, the link is replaced, and the site's file is never written through it."""
    site, copies = tmp_path / "site", tmp_path / "copies" / "newest"
    page = site / "papers" / "a" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<main>first</main>")
    update_copies(copies, site, {"papers/a/index.html": _sha(site, "papers/a/index.html")}, "v1")
    assert (copies / "papers_a.html").stat().st_ino == page.stat().st_ino
    page.unlink()  # as a build replaces a site file
    page.write_text("<main>second</main>")
    old = site / "old-site-file.html"
    os.link(copies / "papers_a.html", old)
    update_copies(copies, site, {"papers/a/index.html": _sha(site, "papers/a/index.html")}, "v1")
    assert old.read_text() == "<main>first</main>"
    assert (copies / "papers_a.html").read_text() == "<main>second</main>"


def test_the_copies_of_months_no_longer_sharded_are_removed(tmp_path):
    folder = tmp_path / "search"
    for name in ("newest", "2025-01", "2025-02"):
        (folder / name).mkdir(parents=True)
        (folder / f"{name}.json").write_text("{}")
    prune_copies(folder, ["pagefind/", "pagefind/2025-02/"])
    assert sorted(p.name for p in folder.iterdir()) == ["2025-02", "2025-02.json", "newest", "newest.json"]


def test_an_index_pagefind_left_with_an_empty_file_fails_the_build_and_keeps_the_site(tmp_path, monkeypatch):
    """On a full disk Pagefind may leave empty files and still succeed: the site would publish a
    broken search, and the next build would find nothing changed."""
    content, site = copy_content(tmp_path / "content"), tmp_path / "site"
    build(content, site, search=False, jobs=1)
    before = tree(site)
    real = _executable()
    fake = tmp_path / "pagefind"
    fake.write_text(f'#!/bin/sh\n"{real}" "$@" || exit $?\n'
                    'while [ "$1" != "--output-path" ]; do shift; done\n: > "$2/pagefind-entry.json"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(search, "_executable", lambda: str(fake))
    with pytest.raises(DigestError, match="Pagefind left pagefind-entry.json empty"):
        build(content, site, search=True, jobs=1)
    assert tree(site) == before


def test_a_copy_that_cannot_be_written_is_an_error_naming_it(tmp_path):
    """On a full disk the write's error names no file: the message was a bare 'No space left on device'."""
    page = tmp_path / "index.html"
    page.write_text('<html><body><article data-pagefind-body><h1>T</h1></article></body></html>\n')
    with pytest.raises(DigestError) as caught:
        indexable_copy(page, Path("/dev/full"))  # every write: ENOSPC
    assert str(caught.value) == ("/dev/full: could not write the copy of a page for the search index: No space "
                                 "left on device")


def test_paper_pages_without_an_html_start_tag_are_told_by_build_and_check_naming_the_template(tmp_path):
    """HTML may leave out <html>, but Pagefind skips such pages: with none to index the build failed
    with Pagefind's "was not able to build an index", which names no file, and check found nothing."""
    content, site, templates = copy_content(tmp_path / "content"), tmp_path / "site", tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    paper = templates / "paper.html"
    paper.write_text("<!DOCTYPE html><title>{{ paper.title }}</title><p>{{ paper.title }}</p>\n")
    build(content, site, templates_dir=templates, search=False, jobs=1)  # without search, a site as good as any
    before = tree(site)
    message = (f"digest: error: {paper}: the paper pages have no <html> start tag, without which the search index "
               f"(Pagefind) skips them: add one, or build with --no-search\n")
    for command in ("build", "check"):
        result = run_cli(command, "--content", content, "--templates", templates,
                         *(["--out", site] if command == "build" else []))
        assert result.returncode == 1 and result.stderr.startswith(message), result.stderr
    assert tree(site) == before
    assert run_cli("check", "--content", content, "--templates", templates, "--no-search").returncode == 0
    paper.write_text("<!DOCTYPE html><HTML lang=en><title>{{ paper.title }}</title><p>{{ paper.title }}</p>\n")
    assert run_cli("build", "--content", content, "--templates", templates, "--out", site).returncode == 0
    assert (site / "pagefind" / "pagefind-entry.json").is_file()


@pytest.mark.parametrize("page, indexed", [
    ("<!DOCTYPE html><title>T</title><p>T</p>", False),
    ("<!DOCTYPE html><!-- <html> left out --><title>T</title><p>T</p>", False),
    ("<!DOCTYPE html><title>T</title><script>let tag = '<html>';</script><p>T</p>", False),
    ("<!DOCTYPE html><HTML lang=en><title>T</title><p>T</p>", True),
    # Given to Pagefind alone, in a document of digest's own: the page's own <html> is not needed.
    ("<!DOCTYPE html><title>T</title><article data-pagefind-body><p>T</p></article>", True),
])
def test_a_paper_page_is_indexable_where_pagefind_reads_an_html_element(page, indexed):
    if indexed:
        search.check_indexable(page, "paper.html")
    else:
        with pytest.raises(DigestError, match="^paper.html: the paper pages have no <html> start tag"):
            search.check_indexable(page, "paper.html")
