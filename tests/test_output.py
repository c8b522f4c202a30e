"""The one writer: path checks, the all-or-nothing swap, and builds killed at any moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import synthetic_corpus, tree
from digest import output
from digest.errors import DigestError
from digest.output import MARKER, SiteWriter, check_relative_path, recover_interrupted_swap, replace_site


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "a//b", "a/./b", "", "a\\b", "a\x00b", "."])
def test_paths_outside_the_output_folder_are_refused(path):
    with pytest.raises(DigestError, match="outside the output folder"):
        check_relative_path(path)


def test_a_file_written_twice_is_refused(tmp_path):
    with pytest.raises(DigestError, match="same file"):
        with SiteWriter(tmp_path / "site") as writer:
            writer.add("a/index.html", "x")
            writer.add("a/index.html", "y")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the half-made site is gone


def test_a_failed_build_removes_its_new_folder_and_keeps_the_old_site(tmp_path):
    out = tmp_path / "site"
    replace_site({"index.html": b"old"}, out, version="t")
    before = tree(out)
    with pytest.raises(RuntimeError):
        with SiteWriter(out) as writer:
            writer.add("index.html", b"new")
            writer.add("papers/a/index.html", b"new")
            raise RuntimeError("a template failed")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_dry_run_hashes_and_writes_nothing(tmp_path):
    writer = SiteWriter(None)
    with writer:
        placed = writer.add("index.html", "x")
    assert placed.made and not placed.written and len(placed.sha256) == 64
    assert writer.commit(version="t").written == []


def test_replace_swaps_in_the_new_site_and_leaves_nothing_beside_it(tmp_path):
    out = tmp_path / "site"
    replace_site({"index.html": b"one", "a/b.txt": b"b"}, out, version="t")
    replace_site({"index.html": b"two"}, out, version="t")
    assert tree(out).keys() == {"index.html", MARKER}
    assert (out / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_the_two_rename_fallback_gives_the_same_result(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    out = tmp_path / "site"
    replace_site({"index.html": b"one"}, out, version="t")
    replace_site({"index.html": b"two"}, out, version="t")
    assert (out / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_swap_killed_between_its_two_renames_is_undone_by_the_next_build(tmp_path):
    out = tmp_path / "site"
    replace_site({"index.html": b"old"}, out, version="t")
    # What a kill between "site -> .site.old-N" and ".site.new-N -> site" leaves behind:
    os.rename(out, tmp_path / ".site.old-4242")
    (tmp_path / ".site.new-4242").mkdir()
    (tmp_path / ".site.new-4242" / "index.html").write_bytes(b"half")
    recover_interrupted_swap(out)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_folder_digest_did_not_build_is_never_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(DigestError, match="not built by digest"):
        replace_site({"index.html": b"x"}, out, version="t")
    assert tree(out).keys() == {"thesis.tex"}


def test_a_build_killed_at_any_moment_leaves_the_previous_site_intact(tmp_path):
    content = synthetic_corpus(tmp_path / "content", 40)
    out = tmp_path / "site"
    # --clean: every build redoes everything, so that each takes as long as the first.
    command = [sys.executable, "-m", "digest", "build", "--clean", "--no-search", "-q", "--content",
               str(content), "--out", str(out)]
    started = time.monotonic()
    subprocess.run(command, check=True, timeout=300)
    duration = time.monotonic() - started
    before = tree(out)

    # Change the content so that a finished build differs; build that into another folder to know it.
    first = sorted((content / "snapshots").iterdir())[0]
    first.write_text(first.read_text().replace("Paper 0:", "Paper zero:"))
    clean = tmp_path / "clean"
    subprocess.run([*command[:-1], str(clean)], check=True, timeout=300)
    after = tree(clean)
    assert after != before

    killed = 0
    for fraction in (0.15, 0.3, 0.45, 0.6, 0.75, 0.85, 0.92):
        process = subprocess.Popen(command)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        now = tree(out)
        assert now in (before, after), f"killed at {fraction:.0%} of a build: the site is neither old nor new"
        if code == -signal.SIGKILL:
            killed += 1
        else:
            assert code == 0 and now == after
        before = now  # a finished build's site is what the next kill must leave
    assert killed >= 4, "most kills should land in the middle of a build"

    # The next build cleans up whatever the kills left and gives the same bytes as a clean build.
    subprocess.run(command, check=True, timeout=300)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.") and p.name != ".site.cache"]
    assert tree(out) == after
