"""Tests of digest.search: what Pagefind is given to index."""

from __future__ import annotations

import os
import subprocess

from conftest import tree
from digest.search import _executable, indexable_copy


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
