"""Incremental builds: the cache never changes the result, only how much is redone and written."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, copy_content, run_cli, synthetic_corpus, tree
import digest.build
import digest.search
from digest.build import build
from digest.errors import DigestError
from digest.pages import topic_markdown
from digest.inputs import default_templates_dir
from digest.search import MEMORY, _room_in_memory

TODAY = dt.date(2026, 11, 21)


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_build_with_nothing_changed_touches_nothing(tmp_path, content_copy):
    out = tmp_path / "site"
    first = run_cli("build", "--content", content_copy, "--out", out)
    assert first.returncode == 0, first.stderr
    site_before, content_before = stats(out), stats(content_copy)
    again = run_cli("build", "--content", content_copy, "--out", out)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"digest: nothing changed since the last build of {out}"
    assert stats(out) == site_before and stats(content_copy) == content_before


def test_a_deleted_or_edited_output_is_noticed(tmp_path, content_copy):
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    expected = tree(out)
    (out / "feed.xml").unlink()
    page = content_copy / "dates" / "2026-01-07.md"
    made = page.read_text()
    page.write_text(made.replace("# Trending papers", "# Edited by hand: trending papers"))
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 0 and "nothing changed" not in result.stdout
    assert tree(out) == expected
    assert page.read_text() == made


@pytest.mark.parametrize("change", ["replaced", "added", "added folder", "link", "deep folders"])
def test_a_file_replaced_or_added_in_the_site_by_hand_is_noticed_with_nothing_else_changed(tmp_path, content_copy,
                                                                                          change, request):
    """As most editors save (a new file renamed over the old), or a file put beside the built ones."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    expected = tree(out)
    if change == "replaced":
        (out / "feed.new").write_text("edited\n")
        (out / "feed.new").rename(out / "feed.xml")
    elif change == "added":
        (out / "dates" / "stray.html").write_text("stray\n")
    elif change == "added folder":
        (out / "dates" / "stray" / "empty").mkdir(parents=True)
    elif change == "deep folders":  # deeper than Python's recursion goes
        # Removed even if the test fails: pytest's clean-up of old temporary folders recurses.
        request.addfinalizer(lambda: [remove_deep_folder(stray) for stray in tmp_path.glob("**/stray")])
        folder = out / "dates" / "stray"
        for _ in range(1500):
            folder.mkdir()
            folder = folder / "d"
    else:
        (out / "dates" / "stray.html").symlink_to(content_copy / "site.yaml")
    result = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert result.returncode == 0 and "nothing changed" not in result.stdout, result.stdout
    assert tree(out) == expected and not (out / "dates" / "stray").exists()
    assert not (out / "dates" / "stray.html").exists() and not (out / "dates" / "stray.html").is_symlink()
    again = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert again.stdout.strip() == f"digest: nothing changed since the last build of {out}"


def remove_deep_folder(folder: Path) -> None:
    """Remove a folder nested deeper than shutil.rmtree's recursion goes, from the bottom up."""
    deepest = folder
    while (deepest / "d").is_dir():
        deepest = deepest / "d"
    for path in [deepest, *deepest.relative_to(folder).parents]:
        shutil.rmtree(folder / path)


def test_adding_a_snapshot_writes_exactly_the_files_that_change(tmp_path, monkeypatch):
    full = synthetic_corpus(tmp_path / "full", 13)
    content = tmp_path / "content"
    content.mkdir()
    shutil.copyfile(full / "topics.yaml", content / "topics.yaml")
    # Topic pages of 10 papers, so that every topic has several archive pages.
    settings = yaml.safe_load((full / "site.yaml").read_text())
    (content / "site.yaml").write_text(yaml.safe_dump({**settings, "topic_page_size": 10}))
    (content / "snapshots").mkdir()
    snapshots = sorted((full / "snapshots").iterdir())
    for path in snapshots[:-1]:
        shutil.copyfile(path, content / "snapshots" / path.name)
    out = tmp_path / "site"
    first = build(content, out, today=TODAY)
    assert len(first.written) == len(first.site.files)  # a first build writes everything
    before = tree(out)

    shutil.copyfile(snapshots[-1], content / "snapshots" / snapshots[-1].name)
    made_markdown = []
    monkeypatch.setattr(digest.build, "topic_markdown",
                        lambda part: made_markdown.append((part.topic.slug, part.number)) or topic_markdown(part))
    second = build(content, out, today=TODAY)
    after = tree(out)
    changed = {path for path, digest in after.items() if before.get(path) != digest}
    assert set(second.written) == changed
    assert len(second.written) < len(after) / 4, f"{len(second.written)} of {len(after)} files written"
    # Rendered again: the new day and the day before it, home, archive, the new day's papers and the topics;
    # every other page is the previous build's.  (The search index is redone whenever a paper page changes.)
    pages = [p for p in second.site.files if p.endswith(".html") and not p.startswith("email/")]
    rendered = [p for p in pages if second.site.files[p].made]
    assert len(rendered) < len(pages) / 3, f"{len(rendered)} of {len(pages)} pages rendered"
    days = sorted(p for p in rendered if p.startswith("dates/"))
    assert days == [f"dates/{s.stem}/index.html" for s in snapshots[-2:]]
    # A topic's archive is numbered from its oldest papers: only its newest archive pages can change.
    archive = [p for p in pages if "/page/" in p]
    assert len(archive) > 2 * len(second.site.topics)
    newest_day = second.site.library.days[-1]
    for topic in second.site.library.topics:
        numbers = sorted(int(p.split("/")[3]) for p in archive if p.startswith(f"topics/{topic.slug}/"))
        redone = [n for n in numbers if second.site.files[f"topics/{topic.slug}/page/{n}/index.html"].made]
        # The new day's papers of the topic move to its front: they can change only as many of the
        # newest archive pages as they fill, plus the one they start in and the one they leave.
        members = set(topic.papers)
        moved = sum(1 for entry in newest_day.entries if entry.paper in members)
        newest = numbers[-(moved // 10 + 2):]
        assert set(redone) <= set(newest), (topic.slug, numbers, redone)
        # and so are its Markdown pages
        assert {n for slug, n in made_markdown if slug == topic.slug} <= {0, *newest}
    assert len(made_markdown) < len([p for p in second.site.markdown if p.startswith("topics/")]) / 2
    emails = sorted(p for p in second.site.files if p.startswith("email/") and second.site.files[p].made)
    assert emails == sorted(f"email/{s.stem}.{ext}" for s in snapshots[-2:] for ext in ("eml", "html", "txt"))

    clean = build(content, tmp_path / "clean", today=TODAY, cached=False)
    assert tree(tmp_path / "clean") == after
    assert len(clean.written) == len(clean.site.files)


def test_editing_a_template_rebuilds_what_uses_it_and_matches_a_clean_build(tmp_path, content_copy):
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    out = tmp_path / "site"
    build(content_copy, out, templates_dir=templates, today=TODAY)
    before = tree(out)
    base = templates / "base.html"
    base.write_text(base.read_text().replace("Data from saved snapshots", "Data from snapshots saved"))
    result = build(content_copy, out, templates_dir=templates, today=TODAY)
    after = tree(out)
    pages = {p for p in after if p.endswith(".html") and not p.startswith("email/")}
    assert {p for p in after if after[p] != before.get(p)} - {".digest-site"} == set(result.written)
    assert pages <= set(result.written)  # every page carries the footer
    assert "feed.xml" not in result.written and "email/2026-01-19.eml" not in result.written
    build(content_copy, tmp_path / "clean", templates_dir=templates, today=TODAY, cached=False)
    assert tree(tmp_path / "clean") == after


@pytest.mark.parametrize("lose", ["manifest", "settings"])
def test_without_a_record_of_the_last_build_files_of_the_same_bytes_are_not_written_again(tmp_path, content_copy,
                                                                                           lose):
    """A deleted cache, or one made with other settings (--no-search), has no hashes of the live
    site's files: their bytes are compared, and only files that differ are written."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    before = stats(out)
    if lose == "manifest":
        (tmp_path / ".site.cache" / "manifest.json").unlink()
        result = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
        assert result.returncode == 0 and "(0 written)" in result.stdout, result.stdout
        assert stats(out) == before
        return
    searched = run_cli("build", "--content", content_copy, "--out", out)
    assert searched.returncode == 0
    after = stats(out)
    kept = {p for p in before if after.get(p) == before[p]}
    # feeds, e-mails, assets and robots.txt do not show the search box: the same files
    assert {"feed.xml", "atom.xml", "robots.txt", "assets/style.css", "email/2026-01-19.eml"} <= kept
    assert not any(p.endswith(".html") and not p.startswith("email/") for p in kept)  # every page links search
    written = int(re.search(r"\((\d+) written\)", searched.stdout)[1])
    assert written == len(after) - len(kept) and ".digest-site" in kept


def test_a_days_build_gives_the_warnings_of_a_clean_build_that_depend_on_the_day_of_the_build(tmp_path):
    """"The list day is after today" is not kept with the model: a day's build, which does not read
    the older snapshots again, warned only of the new one."""
    content = copy_content(tmp_path / "content")
    held = content / "snapshots" / "2026-01-19.txt"
    held.rename(tmp_path / held.name)
    env = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01: Jan 7 and Jan 19 are after it
    first = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search", env=env)
    assert first.returncode == 0 and "2026-01-07.txt: the list day 2026-01-07" in first.stderr
    (tmp_path / held.name).rename(held)
    day = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search", env=env)
    clean = run_cli("build", "--content", content, "--out", tmp_path / "clean", "--no-search", env=env)
    assert day.returncode == clean.returncode == 0
    warnings = [line for line in clean.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2 and [line for line in day.stderr.splitlines() if "warning" in line] == warnings


@pytest.mark.parametrize("when", ["swap", "cache", "fails"])
def test_ctrl_c_once_the_new_site_goes_live_finishes_the_build_then_stops(tmp_path, monkeypatch, when):
    """An interrupt right after the swap put the old Markdown pages back under the new site.  The
    build finishes, then stops as interrupted (a script running it stops too); a build that
    fails after the interrupt stops as interrupted as well."""
    import signal
    from digest.cache import BuildCache
    from digest.output import SiteWriter

    content = copy_content(tmp_path / "content")
    held = content / "snapshots" / "2026-01-19.txt"
    held.rename(tmp_path / held.name)
    out = tmp_path / "site"
    build(content, out, today=TODAY, search=False)
    (tmp_path / held.name).rename(held)
    patched, method = (SiteWriter, "commit") if when == "swap" else (BuildCache, "save")
    original = getattr(patched, method)

    def interrupted(self, *args, **kwargs):
        if when == "fails":
            os.kill(os.getpid(), signal.SIGINT)
            raise DigestError("the disk is full", tmp_path)
        result = original(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(patched, method, interrupted)
    warnings = []
    with pytest.raises(KeyboardInterrupt):
        build(content, out, today=TODAY, search=False, warn=warnings.append)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.undo()
    if when == "fails":
        assert warnings == []
        return
    assert warnings == ["interrupted once the new site was going live: the build went on to the end, and is "
                        "complete"]
    assert (out / "dates" / "2026-01-19" / "index.html").is_file()
    assert (content / "dates" / "2026-01-19.md").is_file()  # the Markdown pages follow the site
    again = run_cli("build", "--content", content, "--out", out, "--no-search",
                    env={"SOURCE_DATE_EPOCH": "1795219200"})  # TODAY
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout


def test_without_a_record_a_file_changed_by_hand_is_written_anew_though_its_bytes_are_the_same(tmp_path,
                                                                                             content_copy):
    """Same bytes are not enough where the cache cannot say the file is the last build's: a mode
    set by hand, or a hard link to a file beyond the site, stayed in the new site."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    (out / "index.html").chmod(0o600)
    outside = tmp_path / "outside.txt"
    shutil.copyfile(out / "robots.txt", outside)
    (out / "robots.txt").unlink()
    os.link(outside, out / "robots.txt")
    shutil.rmtree(tmp_path / ".site.cache")
    before = stats(out)
    result = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert result.returncode == 0 and "(2 written)" in result.stdout, result.stdout
    after = stats(out)
    assert {p for p in after if after[p] != before[p]} == {"index.html", "robots.txt"}
    assert (out / "index.html").stat().st_mode & 0o777 == (out / ".digest-site").stat().st_mode & 0o777
    assert (out / "robots.txt").stat().st_nlink == 1  # the live site's own file: an edit beyond it is not the site's
    with open(outside, "a") as stream:
        stream.write("Disallow: /\n")
    assert "Disallow" not in (out / "robots.txt").read_text()


def test_without_a_record_files_are_kept_that_have_the_mode_this_build_gives(tmp_path, content_copy):
    """The mode compared with was the site marker's, which the first build wrote and later ones
    keep: after a change of umask, files as the current one writes them were written again."""
    out = tmp_path / "site"
    mask = os.umask(0o022)
    try:
        build(content_copy, out, search=False)
        shutil.rmtree(tmp_path / ".site.cache")
        os.umask(0o002)
        first = build(content_copy, out, search=False)  # as --clean would give them: group-writable
        modes = {p.stat().st_mode & 0o777 for p in out.rglob("*") if p.is_file() and p.name != ".digest-site"}
        shutil.rmtree(tmp_path / ".site.cache")
        second = build(content_copy, out, search=False)
    finally:
        os.umask(mask)
    assert modes == {0o664} and len(first.written) == len(first.site.files)
    assert second.written == ()

def test_hidden_files_in_the_templates_folder_are_no_change_and_no_template(tmp_path, content_copy):
    """A .DS_Store or an editor's swap file coming and going made a full build; a hidden file in
    assets/ is copied as any asset (a .htaccess) and is a change."""
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    out = tmp_path / "site"
    args = ("build", "--content", content_copy, "--out", out, "--templates", templates, "--no-search")
    assert run_cli(*args).returncode == 0
    site_before = stats(out)
    (templates / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (templates / ".base.html.swp").write_bytes(b"b0VIM 9.0")
    (templates / ".git").mkdir()
    (templates / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    again = run_cli(*args)
    assert again.returncode == 0 and again.stdout.strip() == f"digest: nothing changed since the last build of {out}"
    assert stats(out) == site_before
    (templates / "assets" / ".htaccess").write_text("Options -Indexes\n")
    third = run_cli(*args)
    assert third.returncode == 0 and "nothing changed" not in third.stdout
    assert (out / "assets" / ".htaccess").read_text() == "Options -Indexes\n"
    # "./base.html" is no hidden file: Jinja2 reads it as base.html
    page = templates / "404.html"
    page.write_text(page.read_text().replace('{% extends "base.html" %}', '{% extends "./base.html" %}'))
    assert './base.html' in page.read_text()
    dotted = run_cli(*args)
    assert dotted.returncode == 0, dotted.stderr
    # nor may a template take one in: it would not be looked at for changes
    site_before = stats(out)
    (templates / ".partial.html").write_text("<p>hidden</p>")
    base = templates / "base.html"
    lines = base.read_text().splitlines(keepends=True)
    base.write_text("".join(lines[:3]) + '{% include ".partial.html" %}\n' + "".join(lines[3:]))
    failed = run_cli(*args)
    assert failed.returncode == 1 and stats(out) == site_before
    assert failed.stderr == (f"digest: error: {base}:4: template error: '.partial.html' is a hidden file, which "
                             f"is not a template\n"), failed.stderr


@pytest.mark.parametrize("flag", ["--clean", None])
def test_clean_and_cached_builds_give_the_same_bytes(tmp_path, flag):
    content = copy_content(tmp_path / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--content", content, "--out", out).returncode == 0
    snapshot = content / "snapshots" / "2026-01-19.txt"
    snapshot.write_text(snapshot.read_text().replace("Puzzle: Distillation", "Puzzle - Distillation"))
    args = ["build", "--content", content, "--out", out] + ([flag] if flag else [])
    assert run_cli(*args).returncode == 0
    reference = copy_content(tmp_path / "reference")
    snapshot_ref = reference / "snapshots" / "2026-01-19.txt"
    snapshot_ref.write_text(snapshot.read_text())
    assert run_cli("build", "--content", reference, "--out", tmp_path / "ref").returncode == 0
    assert tree(out) == tree(tmp_path / "ref")


def test_a_second_build_into_the_same_folder_waits_for_the_first(tmp_path, content_copy):
    """Builds share the cache and its spare site: one at a time (say, digest build while serve rebuilds)."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    before = tree(out)
    snapshot = content_copy / "snapshots" / "2026-01-19.txt"
    snapshot.write_text(snapshot.read_text().replace("Puzzle: Distillation", "Puzzle - Distillation"))
    with open(tmp_path / ".site.cache" / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a running build holds it
        waiting = subprocess.Popen([sys.executable, "-m", "digest", "build", "-q", "--content", str(content_copy),
                                    "--out", str(out)], stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None, "the second build should wait"
        assert tree(out) == before
    assert waiting.wait(timeout=120) == 0
    # It says why it waits, once.
    assert waiting.stderr.read() == (f"digest: warning: {out}: another build of this folder is running; "
                                     f"waiting for it to finish\n")
    assert tree(out) != before and "Puzzle - Distillation" in (out / "index.html").read_text()


def test_builds_of_one_content_folder_into_two_output_folders_take_turns(tmp_path, content_copy):
    """Both write the content's Markdown pages (they staged the same temporary files, and one
    failed): the second waits for the first, on a lock of the content folder itself."""
    descriptor = os.open(content_copy, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # as a running build into another folder holds it
        waiting = subprocess.Popen([sys.executable, "-m", "digest", "build", "-q", "--no-search", "--content",
                                    str(content_copy), "--out", str(tmp_path / "b")], stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None, "the second build should wait"
        assert not (content_copy / "dates").exists() and not (tmp_path / "b").exists()
    finally:
        os.close(descriptor)
    assert waiting.wait(timeout=120) == 0
    assert waiting.stderr.read() == (f"digest: warning: {content_copy}: another build or add of this content folder "
                                     f"is running; waiting for it to finish\n")
    assert sorted(p.name for p in content_copy.iterdir()) == ["dates", "site.yaml", "snapshots", "topics",
                                                               "topics.yaml"]
    assert not [p for p in content_copy.rglob(".*")]  # no lock file, no temporary file left


def _edit_a_title(content: Path, new: str) -> None:
    """Give a paper of the last day the title "Puzzle<new>Distillation"."""
    snapshot = content / "snapshots" / "2026-01-19.txt"
    text, count = re.subn("Puzzle.{1,3}Distillation", f"Puzzle{new}Distillation", snapshot.read_text())
    assert count
    snapshot.write_text(text)


def test_a_build_rewrites_neither_unchanged_files_nor_the_site_marker(tmp_path, content_copy):
    """Each build after the first: the first after a clean build makes a new folder, the later
    ones update the spare folder (see SiteWriter); neither writes a file whose bytes stay."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    for new in ("-X-", "-Y-"):
        before, old_bytes = stats(out), {p: (out / p).read_bytes() for p in stats(out)}
        _edit_a_title(content_copy, new)
        assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
        after = stats(out)
        kept = [p for p in after if p in old_bytes and (out / p).read_bytes() == old_bytes[p]]
        assert ".digest-site" in kept and len(kept) > len(after) / 2
        assert {p: after[p] for p in kept} == {p: before[p] for p in kept}


def test_a_file_put_in_the_site_by_hand_is_replaced_by_the_next_build(tmp_path, content_copy):
    """Replaced, not edited in place (an editor's save, sed -i): a new file, which the next build does
    not take for its own, in a new folder (right after a clean build) as in the spare one."""
    out = tmp_path / "site"
    for rounds in range(2):
        assert run_cli("build", "--content", content_copy, "--out", out, "--no-search", "--clean").returncode == 0
        for n in range(rounds + 1):  # then builds that make a new folder, and one that updates the spare
            page = next((out / "papers").glob("*/index.html"))
            expected = page.read_bytes()
            replacement = page.with_name("edited")
            replacement.write_bytes(expected.replace(b"<title>", b"<title>EDITED "))
            replacement.rename(page)
            _edit_a_title(content_copy, f"-{rounds}{n}")
            assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
            assert page.read_bytes() == expected


def test_links_planted_in_the_build_cache_are_replaced_never_followed(tmp_path, content_copy):
    """What a build writes in its cache (the spare site, parsed snapshots, compiled templates,
    search copies, temporary files, the lock) goes there, whatever link takes a name first."""
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    _edit_a_title(content_copy, " - ")
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    victims = tmp_path / "victims"
    victims.mkdir()
    for name in ("site", "parsed", "templates", "search"):
        (victims / name).mkdir()
        (victims / name / "keep.txt").write_text("mine")
        shutil.rmtree(cache / name)
        (cache / name).symlink_to(victims / name)
    for name in ("lock", "CACHEDIR.TAG", "manifest.json.tmp", "model.pickle.tmp", "fragments.pickle.tmp"):
        (victims / name).write_text("mine")
        (cache / name).unlink(missing_ok=True)
        (cache / name).symlink_to(victims / name)
    before = tree(victims)
    _edit_a_title(content_copy, " / ")
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 0, result.stderr
    assert tree(victims) == before
    assert [path for path in cache.rglob("*") if path.is_symlink()] == []
    reference = copy_content(tmp_path / "reference")
    _edit_a_title(reference, " / ")
    assert run_cli("build", "--content", reference, "--out", tmp_path / "ref").returncode == 0
    assert tree(out) == tree(tmp_path / "ref")


def test_a_folder_of_the_caches_name_that_digest_did_not_make_is_refused(tmp_path, content_copy):
    """The cache beside site/ is .site.cache/: a folder of the user's by that name is neither
    emptied nor used, not even by --clean; a cache digest made is tagged as one, for backup tools too."""
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    (cache / "site").mkdir(parents=True)
    (cache / "notes.txt").write_text("mine")
    (cache / "site" / "photo.jpg").write_text("mine")
    before = tree(cache)
    for flags in ((), ("--clean",)):
        result = run_cli("build", "--content", content_copy, "--out", out, *flags)
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert "no CACHEDIR.TAG says it is a build cache of digest's" in result.stderr
        assert tree(cache) == before and not out.exists()
    shutil.rmtree(cache)
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    (cache / "CACHEDIR.TAG").unlink()  # as a cache made before digest tagged them: its lock says it is one
    _edit_a_title(content_copy, " - ")
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    assert (cache / "CACHEDIR.TAG").is_file()


@pytest.mark.parametrize("damage", [
    "outputs null", "outputs of strings", "snapshots not hex", "snapshots a list", "markdown a number",
    "shards a list", "spare listing a number", "templates a file", "search a file"])
def test_a_damaged_cache_gives_a_full_build_not_an_error(tmp_path, content_copy, damage):
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    _edit_a_title(content_copy, " - ")
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    manifest = json.loads((cache / "manifest.json").read_text())
    if damage == "outputs null":
        manifest["outputs"] = None
    elif damage == "outputs of strings":
        manifest["outputs"] = {path: "x" for path in manifest["outputs"]}
    elif damage == "snapshots not hex":
        manifest["snapshots"] = {name: ["z" * 64, *entry[1:]] for name, entry in manifest["snapshots"].items()}
    elif damage == "snapshots a list":
        manifest["snapshots"] = list(manifest["snapshots"])
    elif damage == "markdown a number":
        manifest["markdown"] = 7
    elif damage == "shards a list":
        manifest["shards"] = ["pagefind/"]
    elif damage == "spare listing a number":
        (cache / "spare.listing").write_bytes(pickle.dumps(7))
    else:
        folder = cache / damage.split()[0]
        shutil.rmtree(folder)
        folder.write_text("not a folder")
    (cache / "manifest.json").write_text(json.dumps(manifest))
    for _ in range(2):  # and the build after it, from what the first wrote
        _edit_a_title(content_copy, " / " if _ == 0 else " | ")
        result = run_cli("build", "--content", content_copy, "--out", out)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    reference = copy_content(tmp_path / "reference")
    _edit_a_title(reference, " | ")
    assert run_cli("build", "--content", reference, "--out", tmp_path / "ref").returncode == 0
    assert tree(out) == tree(tmp_path / "ref")


def test_topic_matches_of_earlier_builds_are_used_again(tmp_path, content_copy, monkeypatch):
    """Where the model is made again from every snapshot, only papers whose text is new are
    matched to topics: the key of the rules was not the same from one process to the next (a
    set in its repr), and every paper was matched again."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    keys = {subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from digest.config import "
                            "load_config; from digest.cache import key_of; print(key_of(load_config(Path(sys.argv[1]))"
                            ".topics))", content_copy], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True,
                           text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(keys) == 1, keys
    _edit_a_title(content_copy, " - ")
    matched = []
    real = digest.build.match_topics
    monkeypatch.setattr(digest.build, "match_topics", lambda title, *rest: matched.append(title) or real(title, *rest))
    build(content_copy, out, search=False, jobs=1)
    assert len(matched) == 1 and "Puzzle - Distillation" in matched[0], matched


def _text_snapshot(folder: Path, day: str, cards: list[tuple[str, str]]) -> None:
    """A text dump of the list of ``day`` (2026-01-10): its cards as (title, meta line's date)."""
    date = dt.date.fromisoformat(day)
    text = f"Daily Papers\n\nbyAK and the research community\n\n{date:%b} {date.day}\n"
    for title, published in cards:
        text += f"\n{title}\n\nAn abstract of {title.lower()}.\n\n  \u2022 3 authors\n\u00b7\n{published}\n"
    (folder / "snapshots" / f"{day}.txt").write_text(text)


@pytest.mark.parametrize("added", ["2026-01-15", "2026-01-20", "2026-01-21 sorted first", "2026-01-22 no list"])
def test_a_days_build_tells_the_warnings_a_build_of_every_snapshot_tells(tmp_path, content_copy, added):
    """Once, in the same order, naming the content folder as given: a new day before the last
    (the model is made again after all) had the warnings told twice, and saved so; a new day's
    told its own after the dates' warnings of the others, also where its name sorts before
    theirs; the others' named the content folder as the build that first read them was given
    it; and where the new snapshot cannot be dated, none was told before the error (the others'
    warnings as read are, as a build of every snapshot tells them)."""
    out = tmp_path / "site"
    _text_snapshot(content_copy, "2026-01-10", [("A Paper From The Future", "Mar 5, 2027")])
    if "sorted first" in added:  # the files' names sort after the new one's
        for path in (content_copy / "snapshots").iterdir():
            path.rename(path.with_name(f"hf-{path.name}"))
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    day = added.split()[0]
    _text_snapshot(content_copy, day, [("Another Paper", "Jan 14 2025"), ("Later Still", "Apr 1, 2027")])
    if "no list" in added:  # the list day the snapshot shows contradicts its name
        snapshot = content_copy / "snapshots" / f"{day}.txt"
        snapshot.write_text(snapshot.read_text().replace("Jan 22", "Jan 23", 1))
    reference = shutil.copytree(content_copy, tmp_path / "reference")
    absolute = content_copy.resolve()
    result = run_cli("build", "--content", absolute, "--out", out, "--no-search", cwd=tmp_path)
    clean = run_cli("build", "--content", reference.resolve(), "--out", tmp_path / "ref", "--no-search")
    assert result.returncode == clean.returncode == (1 if "no list" in added else 0)
    told = result.stderr.replace(str(absolute), "CONTENT")
    assert told == clean.stderr.replace(str(reference.resolve()), "CONTENT")
    dated = 0 if "no list" in added else 1  # the dates' warnings come after the error
    assert told.count("2025 comments") == 1, told
    assert told.count("A Paper From The Future") == told.count("Later Still") == dated, told
    again = run_cli("build", "--content", absolute, "--out", out, "--no-search", cwd=tmp_path)
    assert again.returncode == result.returncode and again.stderr == result.stderr


def _flip_letters(path: Path, word: bytes) -> None:
    """Damage a record as a disk may: one bit of a letter of each ``word`` (a pattern), so that
    it still reads (as a pickle, or as marshalled code), as other text."""
    data = bytearray(path.read_bytes())
    found = list(re.finditer(word, bytes(data)))
    assert found, path
    for each in found:
        data[each.start() + 3] ^= 0x20  # a lower-case letter made upper-case
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("record", ["model.pickle", "fragments.pickle", "topics.pickle", "parsed", "templates"])
def test_a_record_of_the_cache_damaged_so_that_it_still_reads_is_no_record(tmp_path, content_copy, record):
    """Each record in the cache is checked against its checksum: one bit flipped in a paper's
    title in model.pickle had the build fail on every run (the title no longer UTF-8), or write
    it changed into the pages, e-mails and Markdown pages; in fragments.pickle, into the feeds."""
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    # A day's build reads model.pickle; parsed snapshots and topic matches are read where the
    # model is made again from every snapshot (one of them edited).
    days_build = record not in ("topics.pickle", "parsed")
    held = tmp_path / "2026-01-19.txt"
    if days_build:
        (content_copy / "snapshots" / "2026-01-19.txt").rename(held)
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    damaged = sorted((cache / record).rglob("*.*")) if (cache / record).is_dir() else [cache / record]
    assert damaged
    for path in damaged:
        # A word of the text (a class's module is named without spaces); a term in topic matches.
        _flip_letters(path, rb"hardware" if record == "topics.pickle" else rb" [a-z]{6,}")
    if days_build:
        held.rename(content_copy / "snapshots" / "2026-01-19.txt")
    else:
        _edit_a_title(content_copy, " - ")
    result = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    reference = copy_content(tmp_path / "reference")
    if not days_build:
        _edit_a_title(reference, " - ")
    assert run_cli("build", "--content", reference, "--out", tmp_path / "ref", "--no-search").returncode == 0
    assert tree(out) == tree(tmp_path / "ref")
    assert tree(content_copy / "dates") == tree(reference / "dates")


@pytest.mark.parametrize("name", ["model.pickle", "manifest.json", "site.listing", "spare.listing"])
def test_a_folder_in_place_of_a_cache_file_is_replaced_not_a_cache_given_up(tmp_path, content_copy, name):
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    if (cache / name).exists():
        (cache / name).unlink()
    (cache / name / "inside").mkdir(parents=True)
    _edit_a_title(content_copy, " - ")
    assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    assert (cache / name).is_file()
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 0 and "nothing changed" in result.stdout


@pytest.mark.parametrize("warnings", [7, [1], "a"])
def test_damaged_warnings_in_the_cache_give_a_full_build_not_an_error(tmp_path, content_copy, warnings):
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    manifest = json.loads((cache / "manifest.json").read_text())
    (cache / "manifest.json").write_text(json.dumps({**manifest, "warnings": warnings}))
    result = run_cli("build", "--strict", "--content", content_copy, "--out", out, "--no-search")
    assert result.returncode == 0 and result.stderr == "" and "written" in result.stdout, result.stderr


def test_a_build_with_nothing_to_do_loads_neither_parsers_nor_templates(tmp_path, content_copy):
    """``digest build`` compares the inputs with the last build's before it loads the rest of
    digest: with nothing changed, Jinja2, feedgen, markdown-it and the parsers are never imported."""
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "-q").returncode == 0
    probe = ("import sys\nfrom digest.cli import main\n"
             f"code = main(['build', '--content', {str(content_copy)!r}, '--out', {str(out)!r}])\n"
             "heavy = sorted(m for m in ('jinja2', 'feedgen', 'markdown_it', 'bs4', 'digest.build', 'digest.parse')"
             " if m in sys.modules)\n"
             "print(code, heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"
    assert "nothing changed" in result.stdout
    (content_copy / "site.yaml").write_text((content_copy / "site.yaml").read_text() + "\n# changed\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "digest.build" in result.stdout.splitlines()[-1]  # a change: the whole build


def test_the_input_check_before_a_build_is_not_done_again(tmp_path, content_copy, monkeypatch):
    """The command's input check hands what it read to the build; a check that another build
    has overtaken since is not used, and the result is a clean build's either way."""
    import digest.inputs
    from digest.inputs import check_inputs

    out = tmp_path / "site"
    build(content_copy, out, today=TODAY)
    newest = sorted((content_copy / "snapshots").iterdir())[-1]
    newest.rename(tmp_path / newest.name)
    build(content_copy, out, today=TODAY)
    (tmp_path / newest.name).rename(newest)
    reads = []
    original = digest.inputs.read_inputs
    counting = lambda *args, **kwargs: reads.append(1) or original(*args, **kwargs)  # noqa: E731
    monkeypatch.setattr(digest.inputs, "read_inputs", counting)
    monkeypatch.setattr(digest.build, "read_inputs", counting)

    checked = check_inputs(content_copy, out, today=TODAY)
    assert checked is not None and not checked.unchanged and len(reads) == 1
    build(content_copy, out, today=TODAY, checked=checked)
    assert len(reads) == 1  # the build took the check's inputs

    stale = check_inputs(content_copy, out, today=TODAY)
    assert stale.unchanged
    newest.write_text(newest.read_text().replace("Paper ", "Article ", 1) if "Paper " in newest.read_text()
                      else newest.read_text() + "\n")
    build(content_copy, out, today=TODAY)  # another build since the check
    reads.clear()
    build(content_copy, out, today=TODAY, checked=stale)
    assert len(reads) == 1  # read again: the manifest the check compared with is gone
    clean = tmp_path / "clean"
    build(content_copy, clean, today=TODAY, clean=True)
    assert tree(out) == tree(clean)


@pytest.mark.skipif(not _room_in_memory(1_000), reason="needs a writable /dev/shm with room")
def test_a_days_search_index_is_made_in_memory_and_is_the_clean_builds(tmp_path, monkeypatch):
    """A day's build has Pagefind write into a folder in memory (cheaper than on disk), copies
    what is new of it into the site, and leaves nothing there; a killed build's folder there is
    removed by the next one."""
    full = synthetic_corpus(tmp_path / "full", 8)
    content = tmp_path / "content"
    shutil.copytree(full, content)
    snapshots = sorted((content / "snapshots").iterdir())
    for path in snapshots[-2:]:
        path.rename(tmp_path / path.name)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    outputs: list[str] = []
    popen = subprocess.Popen

    def spy(command, *args, **kwargs):
        if "--output-path" in command:  # named from the folder Pagefind runs in
            outputs.append(os.path.join(kwargs.get("cwd", ""), command[command.index("--output-path") + 1]))
        return popen(command, *args, **kwargs)

    monkeypatch.setattr(digest.search.subprocess, "Popen", spy)
    (tmp_path / snapshots[-2].name).rename(snapshots[-2])
    build(content, out, today=TODAY)
    assert outputs and all(Path(o).is_relative_to(MEMORY) for o in outputs), outputs
    scratch = Path(outputs[0]).parent.parent
    assert not scratch.exists()
    prefix = scratch.name[:scratch.name.rindex("-search-") + len("-search-")]
    leftover = MEMORY / (prefix + "killed")
    (leftover / "0").mkdir(parents=True)  # as a killed build leaves it
    # Everyone may write there: what others made with such a name, or a link, is left alone.
    planted, elsewhere = MEMORY / (prefix + "link"), tmp_path / "elsewhere"
    (elsewhere / "0").mkdir(parents=True)
    planted.symlink_to(elsewhere)
    others = MEMORY / (prefix + "others")
    others.mkdir()
    if os.getuid() == 0:
        os.chown(others, 65534, 65534)
    try:
        (tmp_path / snapshots[-1].name).rename(snapshots[-1])
        build(content, out, today=TODAY)
        assert not leftover.exists() and len(outputs) > 1 and not Path(outputs[-1]).parent.parent.exists()
        assert (elsewhere / "0").is_dir() and planted.is_symlink()
        assert others.is_dir() == (os.getuid() == 0)
    finally:
        planted.unlink()
        shutil.rmtree(others, ignore_errors=True)
    build(content, tmp_path / "clean", today=TODAY, cached=False)
    assert tree(out) == tree(tmp_path / "clean")


@pytest.mark.skipif(not _room_in_memory(1_000), reason="needs a writable /dev/shm with room")
def test_a_days_build_on_a_file_system_that_lists_in_making_order_is_the_clean_builds(tmp_path):
    """tmpfs lists a folder in the order its entries were made, and Pagefind numbers pages in
    the order it is given them: a day's build, which adds copies to a month's folder the last
    build made, still gives the clean build's search index there."""
    full = synthetic_corpus(tmp_path / "full", 8)
    root = Path(tempfile.mkdtemp(prefix="digest-test-", dir=MEMORY))
    try:
        content = root / "content"
        shutil.copytree(full, content)
        last = sorted((content / "snapshots").iterdir())[-1]
        last.rename(root / last.name)
        out = root / "site"
        build(content, out, today=TODAY)
        (root / last.name).rename(last)
        build(content, out, today=TODAY)
        build(content, root / "clean", today=TODAY, cached=False)
        assert tree(out) == tree(root / "clean")
    finally:
        shutil.rmtree(root)


def test_a_snapshot_edited_and_given_its_old_size_and_time_back_is_read_again(tmp_path, content_copy):
    out = tmp_path / "site"
    snapshot = content_copy / "snapshots" / "2025-12-16.txt"
    first = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert first.returncode == 0, first.stderr
    before = snapshot.stat()
    text = snapshot.read_text()
    assert "\nMay 14 5\n" in text
    snapshot.write_text(text.replace("\nMay 14 5\n", "\nMay 14 7\n", 1))  # a corrected counter: same size
    os.utime(snapshot, ns=(before.st_atime_ns, before.st_mtime_ns))  # as an archive's normalised times do
    assert (snapshot.stat().st_size, snapshot.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    again = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert again.returncode == 0, again.stderr
    assert "nothing changed" not in again.stdout
    shutil.copyfile(snapshot, copy_content(tmp_path / "clean") / "snapshots" / snapshot.name)
    clean = run_cli("build", "--content", tmp_path / "clean", "--out", tmp_path / "clean-site", "--no-search",
                    "--clean")
    assert clean.returncode == 0, clean.stderr
    assert tree(out) == tree(tmp_path / "clean-site")


SHADOW_SLUGIFY = '''from slugify.slugify import slugify as _slugify


def slugify(text, *args, **kwargs):
    return _slugify(text, *args, **kwargs) + "-v2"  # a new version that makes other slugs
'''


def test_other_libraries_give_a_full_build_the_same_as_a_clean_one(tmp_path, content_copy):
    """A new version of a library that shapes the output (here python-slugify, found in another
    folder first, as in another environment) is an input of the build like digest's own code."""
    import slugify

    shadow = tmp_path / "shadow"
    shutil.copytree(Path(slugify.__file__).parent, shadow / "slugify")
    (shadow / "slugify" / "__init__.py").write_text(SHADOW_SLUGIFY)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH")]))}
    out = tmp_path / "site"
    first = run_cli("build", "--content", content_copy, "--out", out, "--no-search")
    assert first.returncode == 0, first.stderr
    again = run_cli("build", "--content", content_copy, "--out", out, "--no-search", env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" not in again.stdout
    assert any(path.endswith("-v2/index.html") for path in tree(out))
    clean_content = copy_content(tmp_path / "clean")
    clean = run_cli("build", "--content", clean_content, "--out", tmp_path / "clean-site", "--no-search", env=env)
    assert clean.returncode == 0, clean.stderr
    assert tree(out) == tree(tmp_path / "clean-site")
    assert tree(content_copy / "dates") == tree(clean_content / "dates")


def test_an_installed_distribution_changes_the_code_version(tmp_path):
    folder = tmp_path / "packages"
    (folder / "slugify").mkdir(parents=True)
    (folder / "slugify" / "__init__.py").write_text("from slugify.slugify import slugify\n")
    (folder / "python_slugify-9.0.0.dist-info").mkdir()

    def version() -> str:
        code = "from digest.cache import code_version; print(code_version())"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout

    first = version()
    assert version() == first
    (folder / "unrelated_tool-1.0.dist-info").mkdir()  # another package installed: no full build
    assert version() == first
    (folder / "python_slugify-9.0.0.dist-info").rename(folder / "python_slugify-9.1.0.dist-info")
    assert version() != first


def test_an_edit_inside_a_linked_folder_of_the_templates_is_a_change(tmp_path):
    """A templates folder whose assets/ is a link to a shared folder (and holds a link back up
    to itself): an edited stylesheet there is published by the next build."""
    content = copy_content(tmp_path / "content")
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.move(templates / "assets", tmp_path / "shared")
    (templates / "assets").symlink_to(tmp_path / "shared")
    (tmp_path / "shared" / "loop").symlink_to(templates)
    args = ("build", "--content", content, "--out", tmp_path / "site", "--templates", templates, "--no-search", "-q")
    assert run_cli(*args).returncode == 0
    (tmp_path / "shared" / "style.css").write_text("body { color: teal; }\n")
    result = run_cli(*args, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "assets" / "style.css").read_text() == "body { color: teal; }\n"


def test_links_inside_the_templates_folder_other_than_assets_are_not_read(tmp_path):
    """A link to the project's folder (which holds the site and the cache) or to files that cannot
    be read (/proc/sys/vm holds write-only ones): nothing a build reads, so it neither fails nor
    makes every build a full one."""
    content = copy_content(tmp_path / "content")
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    (templates / "project").symlink_to(tmp_path)
    if Path("/proc/sys/vm").is_dir():
        (templates / "vm").symlink_to("/proc/sys/vm")
    args = ("build", "--content", content, "--out", tmp_path / "site", "--templates", templates, "--no-search", "-q")
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    again = run_cli(*args[:-1], "-v")
    assert again.returncode == 0 and "nothing changed" in again.stdout + again.stderr, again.stdout + again.stderr


@pytest.mark.parametrize("damage", ["a named pipe", "cut short"])
@pytest.mark.parametrize("name", ["manifest.json", "model.pickle", "fragments.pickle", "topics.pickle",
                                  "spare.listing", "search/newest.json", "templates/*/__jinja2_*", "parsed/*"])
def test_a_cache_file_cut_short_or_a_named_pipe_is_no_record_not_an_error_nor_a_wait(tmp_path, content_copy, name,
                                                                                   damage):
    """A cache file is only a saving of work: one damaged from outside (a crash of a file system
    that did not flush; a pipe put there) costs that work, never the build, nor a build that waits."""
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    for edit in ("", " - "):  # two builds: the second leaves the spare folder's listing
        if edit:
            _edit_a_title(content_copy, edit)
        assert run_cli("build", "--content", content_copy, "--out", out).returncode == 0
    found = sorted(cache.glob(name))
    assert found, sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*"))
    for path in found:
        if damage == "a named pipe":
            path.unlink()
            os.mkfifo(path)
        else:
            path.write_bytes(path.read_bytes()[:20])
    _edit_a_title(content_copy, " / ")
    result = run_cli("build", "--content", content_copy, "--out", out, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    reference = copy_content(tmp_path / "reference")
    _edit_a_title(reference, " / ")
    assert run_cli("build", "--content", reference, "--out", tmp_path / "ref").returncode == 0
    assert tree(out) == tree(tmp_path / "ref")


def test_a_named_pipe_in_place_of_the_caches_lock_is_replaced_not_waited_on(tmp_path, content_copy):
    """Opening a named pipe to write waits for a reader: every build waited for ever."""
    out, cache = tmp_path / "site", tmp_path / ".site.cache"
    assert run_cli("build", "--content", content_copy, "--out", out, "--no-search").returncode == 0
    (cache / "lock").unlink()
    os.mkfifo(cache / "lock")
    _edit_a_title(content_copy, " - ")
    result = run_cli("build", "--content", content_copy, "--out", out, "--no-search", timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert (cache / "lock").is_file() and not (cache / "lock").is_symlink()


def test_a_build_whose_record_is_not_saved_leaves_no_record_of_the_site_before(tmp_path, content_copy, monkeypatch):
    """The record of a build (manifest.json) is saved once its site is in place; where that failed
    (a disk full, a file made immutable), the last build's record stayed, and the next build took
    the files it listed for the new inputs': a stale site, until --clean."""
    import digest.cache

    out = tmp_path / "site"
    for edit in ("", " - "):  # two builds: the second leaves a spare folder
        if edit:
            _edit_a_title(content_copy, edit)
        build(content_copy, out, today=TODAY, search=False, jobs=1)
    real = digest.cache.write_temporary

    def failing(path, *args, **kwargs):
        if Path(path).name.startswith("manifest.json"):
            raise OSError(28, "No space left on device")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(digest.cache, "write_temporary", failing)
    _edit_a_title(content_copy, " / ")
    for _ in range(2):  # the site made, its record lost; then made again over the spare folder
        build(content_copy, out, today=TODAY, search=False, jobs=1)
    monkeypatch.setattr(digest.cache, "write_temporary", real)
    _edit_a_title(content_copy, " - ")  # back to the inputs of the record that was there before
    build(content_copy, out, today=TODAY, search=False, jobs=1)
    reference = copy_content(tmp_path / "reference")
    _edit_a_title(reference, " - ")
    build(reference, tmp_path / "ref", today=TODAY, search=False, jobs=1)
    assert tree(out) == tree(tmp_path / "ref")


def test_a_record_of_the_last_build_that_cannot_be_removed_stops_the_build_before_the_site_changes(
        tmp_path, content_copy, monkeypatch):
    """A record that cannot be replaced (made immutable) would describe the old site once the new
    one is in place: the build stops first, saying so, and leaves the site as it was."""
    import digest.cache

    out = tmp_path / "site"
    build(content_copy, out, today=TODAY, search=False, jobs=1)
    before = tree(out)
    real = digest.cache.remove_entry

    def refused(path):
        if Path(path).name == "manifest.json":
            raise PermissionError(1, "Operation not permitted")
        return real(path)

    monkeypatch.setattr(digest.cache, "remove_entry", refused)
    _edit_a_title(content_copy, " - ")
    pages = {folder: tree(content_copy / folder) for folder in ("dates", "topics")}
    with pytest.raises(DigestError) as caught:
        build(content_copy, out, today=TODAY, search=False, jobs=1)
    assert str(caught.value) == (f"{tmp_path / '.site.cache' / 'manifest.json'}: cannot update the build cache's "
                                 f"record (Operation not permitted): make it writable, or remove the cache folder")
    assert tree(out) == before
    # Nor are the Markdown pages it made left staged beside the user's (.2026-01-19.md.tmp).
    assert {folder: tree(content_copy / folder) for folder in ("dates", "topics")} == pages


def test_a_days_search_index_with_paper_pages_of_ones_own_is_the_clean_builds(tmp_path):
    """A month's search shard was reused while its papers' titles and abstracts were the same; with
    a paper.html of one's own that indexes more (here the facts: trending days), the index kept
    the last build's "Trending 3 days" where the page said 4."""
    content = copy_content(tmp_path / "content")
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    paper = templates / "paper.html"
    paper.write_text(paper.read_text().replace('<dl class="facts" data-pagefind-ignore>', '<dl class="facts">'))
    out = tmp_path / "site"
    build(content, out, templates_dir=templates, today=TODAY)
    # A new day on which the papers of 2025-11-03 trend again: their month's shard has no new paper.
    november = (content / "snapshots" / "2025-11-03.txt").read_text()
    assert "\nNov 3\n" in november
    (content / "snapshots" / "2026-11-20.txt").write_text(november.replace("\nNov 3\n", "\nNov 20\n", 1))
    build(content, out, templates_dir=templates, today=TODAY)
    build(content, tmp_path / "clean", templates_dir=templates, today=TODAY, cached=False)
    assert tree(out) == tree(tmp_path / "clean")


def test_folders_whose_names_are_no_utf8_text_build_as_any_other(tmp_path):
    """Python holds such a name's bytes as surrogates, which UTF-8 cannot encode: the cache's
    keys, compiled templates and Pagefind's command line (which takes UTF-8 only) stopped the
    build with an internal error or a failed search index."""
    odd = tmp_path / os.fsdecode(b"odd\xff")
    content = copy_content(odd / "content")
    templates = odd / "templates"
    shutil.copytree(default_templates_dir(), templates)
    held = sorted((content / "snapshots").iterdir())[-1]
    held.rename(tmp_path / held.name)
    options = ("--content", content, "--templates", templates, "-q")
    first = run_cli("build", *options, "--out", odd / "site")
    assert first.returncode == 0, first.stderr
    (tmp_path / held.name).rename(held)
    day = run_cli("build", *options, "--out", odd / "site")  # the search shards from the cache's copies
    assert day.returncode == 0, day.stderr
    clean = run_cli("build", *options, "--out", tmp_path / "clean", "--clean")
    assert clean.returncode == 0, clean.stderr
    assert tree(odd / "site") == tree(tmp_path / "clean")
