"""The one writer: path checks, the all-or-nothing swap, and builds killed at any moment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.inputs import default_templates_dir
from conftest import CONTENT, run_cli, synthetic_corpus, tree
from digest import output
from digest.errors import DigestError
from digest.output import MARKER, SiteWriter, check_relative_path, recover_interrupted_swap


def replace_site(files, out_dir, *, version, recorded=None):
    """Write ``files`` as the new contents of ``out_dir``, all or nothing, as a build does with SiteWriter."""
    with SiteWriter(out_dir, recorded=recorded) as writer:
        for path in sorted(files):
            writer.add(path, files[path])
        return writer.commit(version=version)


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
    (tmp_path / ".site.new-4242" / output.MARKER).write_bytes(b"")  # a build marks its new folder as it makes it
    (tmp_path / ".site.new-4242" / "index.html").write_bytes(b"half")
    (tmp_path / ".site.new-4243").mkdir()  # killed just after making it
    recover_interrupted_swap(out)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_build_folder_removed_halfway_is_still_known_for_a_builds_and_removed_next_time(tmp_path, monkeypatch):
    """A kill while a build removes its folder leaves some of it: the marker goes last, so the
    next build still knows the rest for its own."""
    out = tmp_path / "site"
    leftover = tmp_path / ".site.new-4242"
    (leftover / "papers" / "x").mkdir(parents=True)
    for name in ("index.html", "papers/x/index.html", output.MARKER):
        (leftover / name).write_bytes(b"made")
    removed = []

    def killed_after_one(path):  # the first entry goes, then the build is killed
        if removed:
            raise KeyboardInterrupt
        removed.append(path)
        real_remove(path)

    real_remove = output.remove_entry
    monkeypatch.setattr(output, "remove_entry", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        output.remove_build_folder(leftover)
    monkeypatch.setattr(output, "remove_entry", real_remove)
    assert len(removed) == 1 and (leftover / output.MARKER).is_file() and any(leftover.iterdir())
    recover_interrupted_swap(out)
    assert not leftover.exists()


def test_folders_of_the_users_named_like_a_swaps_leftovers_are_neither_removed_nor_put_in_place(tmp_path):
    """A backup made with ``cp -a site .site.old-20250101`` has no marker if the user made it of
    something else, and the name of a killed swap's folder: it is none of digest's to remove."""
    for name in (".site.old-20250101", ".site.new-1", f".site.new-{os.getpid()}"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "important.txt").write_text(name)
    out = tmp_path / "site"
    recover_interrupted_swap(out)
    assert not out.exists()
    with pytest.raises(DigestError, match="a folder digest did not make is where it makes the new site"):
        replace_site({"index.html": b"one"}, out, version="t")
    (tmp_path / f".site.new-{os.getpid()}" / "important.txt").unlink()
    (tmp_path / f".site.new-{os.getpid()}").rmdir()
    replace_site({"index.html": b"one"}, out, version="t")
    replace_site({"index.html": b"two"}, out, version="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.new-1", ".site.old-20250101", "site"]
    assert (tmp_path / ".site.old-20250101" / "important.txt").read_text() == ".site.old-20250101"


def test_other_output_folders_and_their_caches_are_no_leftovers_of_a_swap(tmp_path):
    """``--out site.old-2025`` has its cache in .site.old-2025.cache: it was taken for a killed
    swap's copy of the old site, and renamed to site/ or deleted."""
    neighbours = [".site.old-2025.cache", ".site.new-design.cache", ".site.old-", ".site.new-12x", "site.old-1",
                  ".site.old-12.cache"]
    for name in neighbours:
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep").write_text(name)
    out = tmp_path / "site"
    recover_interrupted_swap(out)  # no site yet
    assert not out.exists()
    replace_site({"index.html": b"one"}, out, version="t")
    replace_site({"index.html": b"two"}, out, version="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*neighbours, "site"])
    assert all((tmp_path / name / "keep").read_text() == name for name in neighbours)
    # a name with glob characters: its leftovers are found all the same
    odd = tmp_path / "s[1]"
    replace_site({"index.html": b"old"}, odd, version="t")
    os.rename(odd, tmp_path / ".s[1].old-77")
    recover_interrupted_swap(odd)
    assert (odd / "index.html").read_bytes() == b"old" and not (tmp_path / ".s[1].old-77").exists()

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


def test_a_cached_build_killed_at_any_moment_leaves_the_previous_site_intact(tmp_path):
    """Cached builds make the new site in the spare folder kept in the cache (the site before the
    current one) instead of a new folder; a kill must leave the site whole there too."""
    content = synthetic_corpus(tmp_path / "content", 40)
    snapshot = sorted((content / "snapshots").iterdir())[-1]
    states = [snapshot.read_text()]
    states.append(states[0].replace("Paper ", "Article ", 5))
    expected = []
    for n, text in enumerate(states):
        snapshot.write_text(text)
        subprocess.run([sys.executable, "-m", "digest", "build", "--no-search", "-q", "--content", str(content),
                        "--out", str(tmp_path / f"clean{n}"), "--clean"], check=True, timeout=300)
        expected.append(tree(tmp_path / f"clean{n}"))
    assert expected[0] != expected[1]

    out = tmp_path / "site"
    command = [sys.executable, "-m", "digest", "build", "--no-search", "-q", "--content", str(content),
               "--out", str(out)]
    snapshot.write_text(states[0])
    subprocess.run(command, check=True, timeout=300)
    current = 0
    durations = []
    for _ in range(2):  # the first change builds the spare folder whole; time the later, usual ones
        current = 1 - current
        snapshot.write_text(states[current])
        started = time.monotonic()
        subprocess.run(command, check=True, timeout=300)
        durations.append(time.monotonic() - started)
        assert tree(out) == expected[current]
    duration = durations[-1]

    killed = 0
    for fraction in (0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95):
        wanted = 1 - current
        snapshot.write_text(states[wanted])
        process = subprocess.Popen(command)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        now = tree(out)
        assert now in (expected[current], expected[wanted]), f"killed at {fraction:.0%}: neither old nor new site"
        if code == -signal.SIGKILL:
            killed += 1
        else:
            assert code == 0 and now == expected[wanted]
        current = expected.index(now)
    assert killed >= 4, "most kills should land in the middle of a build"

    for n in (0, 1):  # whatever the kills left in the spare folder, the next builds are right
        snapshot.write_text(states[n])
        subprocess.run(command, check=True, timeout=300)
        assert tree(out) == expected[n]
    assert (tmp_path / ".site.cache" / "site").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.") and p.name != ".site.cache"]


def test_a_reused_spare_folder_loses_what_the_new_site_does_not_have(tmp_path):
    out, spare = tmp_path / "site", tmp_path / "spare"
    replace_site({"index.html": b"one", "a/b.txt": b"b"}, out, version="t")
    spare.mkdir()
    (spare / "stray").mkdir()
    (spare / "stray" / "old.html").write_bytes(b"old")
    (spare / "index.html").write_bytes(b"stale")
    (spare / "a").write_bytes(b"a file where a folder must be")
    with SiteWriter(out, spare=spare) as writer:
        writer.add("index.html", b"two")
        writer.add("a/b.txt", b"b")
        writer.add("c/d.txt", b"d")
        writer.commit(version="t")
    assert tree(out).keys() == {"index.html", "a/b.txt", "c/d.txt", MARKER}
    assert (out / "index.html").read_bytes() == b"two"
    assert (spare / "index.html").read_bytes() == b"one"  # the spare folder now holds the previous site
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "spare"]


@pytest.mark.parametrize("free_blocks, free_inodes, kept", [(500, 500, True), (0, 500, False), (500, 0, False)])
def test_a_half_made_spare_folder_is_kept_unless_the_disk_is_nearly_full(tmp_path, monkeypatch, free_blocks,
                                                                         free_inodes, kept):
    """A failed build keeps the spare folder it was filling (the next one reuses it), but not on a
    disk out of room or of inodes, which it would keep full."""
    out, spare = tmp_path / "site", tmp_path / "spare"
    replace_site({"index.html": b"one"}, out, version="t")
    status = os.statvfs_result((4096, 4096, 1000, 1000, free_blocks, 1000, 1000, free_inodes, 0, 255))
    monkeypatch.setattr(output.os, "statvfs", lambda path: status)
    with pytest.raises(DigestError):
        with SiteWriter(out, spare=spare) as writer:
            writer.add("index.html", b"two")
            raise DigestError("no room left")
    assert spare.is_dir() == kept and (out / "index.html").read_bytes() == b"one"


def test_a_reused_spare_folder_never_writes_into_a_file_of_the_live_site(tmp_path):
    """The spare folder's files are often hard links to the live site's: those are replaced by
    new files; only a file no other name shares is written over where it is."""
    out, spare = tmp_path / "site", tmp_path / "spare"
    replace_site({"shared.html": b"live", "own.html": b"live too", "gone.html": b"x"}, out, version="t")
    spare.mkdir()
    os.link(out / "shared.html", spare / "shared.html")
    (spare / "own.html").write_bytes(b"the spare's own, longer than what replaces it")
    (spare / "dir.html").mkdir()
    (spare / "dir.html" / "x").write_bytes(b"a folder where a file must be")
    os.symlink(out / "gone.html", spare / "link.html")
    own_inode = (spare / "own.html").stat().st_ino
    with SiteWriter(out, spare=spare) as writer:
        for name in ("shared.html", "own.html", "dir.html", "link.html"):
            writer.add(name, b"new " + name.encode())
        assert (out / "shared.html").read_bytes() == b"live" and (out / "gone.html").read_bytes() == b"x"
        assert (spare / "own.html").stat().st_ino == own_inode  # written where it was
        writer.commit(version="t")
    for name in ("shared.html", "own.html", "dir.html", "link.html"):
        assert (out / name).read_bytes() == b"new " + name.encode() and not (out / name).is_symlink()
    assert (spare / "shared.html").read_bytes() == b"live"  # the previous site, untouched


def _listing_of(root, files):
    """The listing a build records of ``root``, as the next build but one finds it: time has passed."""
    listing = output.folder_listing(root, {p: os.lstat(root / p).st_ino for p in files}, {})
    return output.FolderListing(listing.root, listing.files, listing.folders, listing.taken + 10 * output.RACY_NS)


def test_a_spare_folder_is_listed_only_where_it_changed(tmp_path, monkeypatch):
    """What the build that made a site folder recorded of it (files, and each folder's inode and
    time) stands for the folders still as recorded; every other folder is listed again."""
    root = tmp_path / "site"
    files = ["index.html", "a/index.html", "a/x/index.html", "b/index.html", "c/index.html", "d/index.html"]
    for path in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    listing = _listing_of(root, files)
    (root / "a" / "by-hand.html").write_text("added by hand")  # a folder changed
    (root / "b" / "index.html").unlink()
    (root / "b").rmdir()  # a folder removed
    os.rename(root / "d", root / "e")
    os.rename(root / "c", root / "d")  # a folder that takes the name of another
    (root / "new" / "deep").mkdir(parents=True)  # a folder the listing does not know
    (root / "new" / "deep" / "page.html").write_text("new")
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(output.os, "scandir", lambda path: listed.append(os.path.relpath(path, root)) or real_scandir(path))

    files_found, folders, trusted = output.scan_folder(root, listing)
    monkeypatch.setattr(output.os, "scandir", real_scandir)

    full_files = {p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*") if p.is_file()}
    assert files_found == full_files
    assert sorted(folders) == sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())
    assert sorted(trusted) == ["a/x"]  # the only folder nothing happened in
    assert "a/x" not in listed and "." in listed and "a" in listed and "d" in listed
    assert {"new", "new/deep"} <= set(listed)


def test_a_spare_folder_with_another_top_folder_is_listed_whole(tmp_path):
    root = tmp_path / "site"
    (root / "a").mkdir(parents=True)
    (root / "a" / "index.html").write_text("a")
    listing = _listing_of(root, ["a/index.html"])
    os.rename(root, tmp_path / "elsewhere")
    (root / "a").mkdir(parents=True)
    (root / "a" / "other.html").write_text("b")
    files, _, trusted = output.scan_folder(root, listing)
    assert files.keys() == {"a/other.html"} and not trusted


def test_a_file_added_by_hand_to_the_site_is_gone_two_builds_on(tmp_path):
    """The live site becomes the spare folder of the build after next, which takes most of it
    from the listing recorded when it was made: a file put into the site since is still found
    and removed, and every build gives the site a clean build gives."""
    content = synthetic_corpus(tmp_path / "content", 12)
    held = sorted((content / "snapshots").iterdir())[-3:]
    for path in held:
        path.rename(tmp_path / path.name)
    out = tmp_path / "site"
    command = [sys.executable, "-m", "digest", "build", "--no-search", "-q", "--content", str(content)]
    subprocess.run([*command, "--out", str(out)], check=True, timeout=300)
    paper = sorted((out / "papers").iterdir())[0]
    (paper / "by-hand.html").write_text("put there by hand")
    for n, path in enumerate(held):
        (tmp_path / path.name).rename(content / "snapshots" / path.name)
        subprocess.run([*command, "--out", str(out)], check=True, timeout=300)
        subprocess.run([*command, "--out", str(tmp_path / f"clean{n}"), "--clean"], check=True, timeout=300)
        assert tree(out) == tree(tmp_path / f"clean{n}"), f"after day {n + 1}"
    assert (tmp_path / ".site.cache" / "spare.listing").is_file()


def test_an_output_folder_behind_a_loop_of_links_is_a_one_line_error(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for out in (tmp_path / "a" / "site", tmp_path / "a"):
        result = run_cli("build", "--content", CONTENT, "--out", out, "--no-search")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == f"digest: error: {out}: cannot use this folder: a loop of links\n"


def test_an_output_folder_in_the_way_of_the_content_folder_is_refused(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "dates" / "fresh").mkdir()
    before = tree(content)
    for out in (content, content / "dates" / "fresh", content / "snapshots" / "site", content / "topics", tmp_path):
        result = run_cli("build", "--content", content, "--out", out, "--no-search")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"digest: error: {out}: cannot build into this folder"), result.stderr
        assert tree(content) == before
    assert run_cli("build", "--content", content, "--out", content / "site", "--no-search").returncode == 0


def test_an_output_folder_whose_cache_is_or_holds_the_content_folder_is_refused(tmp_path):
    """The cache beside --out site is .site.cache, which --clean empties: content kept there, or
    in a folder of it, would be deleted."""
    for content in (tmp_path / ".site.cache", tmp_path / ".site.cache" / "content"):
        shutil.copytree(CONTENT, content)
        before = tree(content)
        for extra in ((), ("--clean",)):
            result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search", *extra)
            assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
            assert result.stderr == (f"digest: error: {tmp_path / 'site'}: cannot build into this folder: the build "
                                     f"cache beside it, {tmp_path / '.site.cache'}, is or holds the content folder "
                                     f"{content}; choose another --out\n")
            assert tree(content) == before and not (tmp_path / "site").exists()
        shutil.rmtree(tmp_path / ".site.cache")


def test_an_output_folder_that_holds_or_lies_in_the_templates_folder_is_refused(tmp_path):
    out = tmp_path / "site"
    for templates in (out / "tpl", out, tmp_path / ".site.cache" / "tpl", tmp_path):
        shutil.copytree(default_templates_dir(), templates, dirs_exist_ok=True)
        before = tree(templates)
        result = run_cli("build", "--content", CONTENT, "--out", out, "--templates", templates, "--no-search")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == (f"digest: error: {out}: cannot build into this folder: it, or the build cache "
                                 f"beside it, is, holds or lies in the templates folder {templates}; "
                                 f"choose another --out\n")
        assert tree(templates) == before
        shutil.rmtree(templates)


def test_a_link_put_into_the_site_never_takes_a_later_build_outside_it(tmp_path):
    """The live site becomes the folder a later build fills: a folder of it replaced by a link
    to elsewhere must not lead that build's writes there."""
    content = shutil.copytree(CONTENT, tmp_path / "content")
    out, victim = tmp_path / "site", tmp_path / "victim"
    victim.mkdir()
    command = ["build", "--no-search", "-q", "--content", content, "--out", out]
    for _ in range(2):  # the second build leaves a spare folder and its listing
        assert run_cli(*command).returncode == 0
    shutil.move(out / "papers", tmp_path / "moved")
    (out / "papers").symlink_to(victim, target_is_directory=True)
    site_yaml = content / "site.yaml"
    for n in range(3):  # the site with the link becomes the spare folder, and is filled
        site_yaml.write_text(site_yaml.read_text().replace("title: ", f"title: {n}", 1))
        result = run_cli(*command)
        assert result.returncode == 0, result.stderr
    assert list(victim.iterdir()) == []
    assert not any(path.is_symlink() for path in out.rglob("*"))
    clean = run_cli("build", "--no-search", "-q", "--content", content, "--out", tmp_path / "clean", "--clean")
    assert clean.returncode == 0 and tree(out) == tree(tmp_path / "clean")


def test_a_link_in_place_of_a_folder_that_looks_unchanged_is_removed_when_listed(tmp_path):
    """Even where the folder holding it has its time put back (so that it seems as the listing
    recorded it, and its files are taken from the listing), the link goes before anything is
    written through it."""
    root, victim = tmp_path / "site", tmp_path / "victim"
    files = ["index.html", "a/index.html", "a/x/index.html"]
    for path in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    victim.mkdir()
    listing = _listing_of(root, files)
    times = os.stat(root / "a")
    shutil.rmtree(root / "a" / "x")
    (root / "a" / "x").symlink_to(victim, target_is_directory=True)
    os.utime(root / "a", ns=(times.st_atime_ns, times.st_mtime_ns))
    found, folders, trusted = output.scan_folder(root, listing)
    assert "a" in trusted and "a/x" not in folders and "a/x/index.html" not in found
    assert not os.path.lexists(root / "a" / "x") and victim.is_dir()


def test_a_link_in_place_of_a_folder_is_never_looked_through_for_the_folders_below_it(tmp_path):
    """A folder replaced by a link to a folder of the user's, which holds a file named like one
    of the folders recorded below it: the link goes, the user's file stays, in whatever order
    the listing recorded the folders."""
    root, victim = tmp_path / "site", tmp_path / "victim"
    files = ["index.html", "a/x/index.html", "a/y/index.html"]
    for path in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    recorded = _listing_of(root, files)
    # The folders below first, as a listing may hold them.
    listing = output.FolderListing(recorded.root, recorded.files, dict(
        sorted(recorded.folders.items(), key=lambda item: -item[0].count("/"))), recorded.taken)
    shutil.rmtree(root / "a")
    victim.mkdir()
    (victim / "x").write_text("the user's")
    (root / "a").symlink_to(victim, target_is_directory=True)
    found, folders, _ = output.scan_folder(root, listing)
    assert (victim / "x").read_text() == "the user's"
    assert not os.path.lexists(root / "a") and not any(path.startswith("a/") for path in found)


def test_a_site_swap_that_fails_leaves_the_markdown_pages_as_they_were_too(tmp_path, monkeypatch):
    """A site folder that is a mount point cannot be renamed: the build fails saying so, and
    neither the site nor the content folder's Markdown pages have changed."""
    import errno

    from digest.build import build

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    for folder in ("dates", "topics"):
        shutil.rmtree(content / folder, ignore_errors=True)
    newest = sorted((content / "snapshots").iterdir())[-1]
    held = newest.rename(tmp_path / newest.name)
    site = tmp_path / "site"
    build(content, site, search=False, jobs=1)
    held.rename(newest)
    before_content, before_site = tree(content), tree(site)

    def busy(fresh, out):
        raise OSError(errno.EBUSY, "Device or resource busy", str(out))

    monkeypatch.setattr(output, "_exchange", busy)
    monkeypatch.setattr(output.os.path, "ismount", lambda path: str(path) == str(site))
    with pytest.raises(DigestError) as info:
        build(content, site, search=False, jobs=1)
    assert str(info.value) == (f"{site}: could not write the site: Device or resource busy: it is a mount point, "
                               f"and digest puts a new site in place by renaming folders; build into a folder inside it")
    assert tree(content) == before_content
    assert tree(site) == before_site
    assert not [p for p in (content / "dates").iterdir() if p.name.startswith(".")]  # no staged page left


@pytest.mark.parametrize("hard_links", [True, False])
def test_a_markdown_page_that_cannot_be_replaced_leaves_the_site_and_every_page_as_they_were(tmp_path, monkeypatch,
                                                                                           hard_links):
    """A page that cannot be replaced (an immutable file, say), met after others were: the pages
    already replaced are put back, and the site is not swapped; no copy of a page is left aside,
    also where the file system has no hard links and the pages are kept aside as copies."""
    import errno

    from digest.build import build

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    site = tmp_path / "site"
    build(content, site, search=False, jobs=1)
    for snapshot in (content / "snapshots").iterdir():  # every day's page and most topics' change
        snapshot.write_text(snapshot.read_text(encoding="utf-8").replace("We ", "We now ", 1), encoding="utf-8")
    before_content, before_site = tree(content), tree(site)
    replace, moved, immutable = os.replace, [], []

    def refuse_the_third(source, target):
        if str(source).endswith(".md.tmp") and len(moved) == 2:
            immutable.append(str(target))
        if str(target) in immutable:  # neither the new page nor the old one put back replaces it
            raise OSError(errno.EPERM, "Operation not permitted", str(target))
        moved.append(target)
        replace(source, target)

    def no_hard_links(source, target):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(output.os, "replace", refuse_the_third)
    if not hard_links:
        monkeypatch.setattr(output.os, "link", no_hard_links)
    with pytest.raises(DigestError, match="could not write: Operation not permitted") as raised:
        build(content, site, search=False, jobs=1)
    monkeypatch.setattr(output.os, "replace", replace)
    monkeypatch.undo()
    assert Path(raised.value.path).parent.name == "dates" and raised.value.path.endswith(".md")
    assert len(moved) >= 2 and tree(content) == before_content and tree(site) == before_site


@pytest.mark.parametrize("text, made", [
    ("---\ntitle: x\ngenerator: digest\n---\nbody\n", True),
    ("\ufeff---\r\ntitle: x\r\ngenerator: digest  \r\n---\r\nbody\r\n", True),
    ("---\ngenerator: digest\n...\nbody\n", True),
    ("---\ntitle: my notes\n---\ngenerator: digest\n", False),  # the line in the body
    ("---\ntitle: my notes\ngenerator: digest\n", False),  # front matter never closed
    ("---\ntitle: my notes\n\ngenerator: digest\nmore\n", False),
    ("---" + " " * 20 + "notes\ngenerator: digest\n---\n", False),  # no front matter at all
    ("---" + " " * 70_000 + "\ngenerator: digest\n---\n", False),  # a first line longer than it seems
    ("---\n" + "x" * 200_000 + "generator: digest\n---\n", False),  # the end of a long line
    ("---\ntitle: x\n" + "- y\n" * 40_000 + "generator: digest\n---\n", True),
])
def test_a_generated_page_is_known_by_its_closed_front_matter(tmp_path, text, made):
    page = tmp_path / "page.md"
    page.write_bytes(text.encode("utf-8"))
    assert output.left_by_a_build([page]) == ([page] if made else [])


def test_a_build_refused_while_workers_stage_pages_leaves_no_staged_page(tmp_path):
    """A page of the user's where a generated page goes stops the build in whichever process
    meets it: the pages the other process staged meanwhile are removed too."""
    content = synthetic_corpus(tmp_path / "content", 120)
    site = tmp_path / "site"
    assert run_cli("build", "--no-search", "-q", "--jobs", "2", "--content", content, "--out", site).returncode == 0
    days = sorted((content / "dates").iterdir())
    days[-1].write_text("# my notes\n", encoding="utf-8")  # the last page: the others are made first
    topics = content / "topics.yaml"  # a topic's new title is on every day's page
    topics.write_text(topics.read_text().replace("title: LLM inference and serving", "title: LLM serving", 1))
    before = tree(content)
    result = run_cli("build", "--no-search", "-q", "--jobs", "2", "--content", content, "--out", site)
    assert result.returncode == 1 and "a page digest did not make" in result.stderr
    assert tree(content) == before


class _FullDisk:
    """A temporary file on a disk that fills after a few bytes: ``open_temporary``'s own context,
    whose stream's writes fail."""

    def __init__(self, opened):
        self.opened = opened

    def __enter__(self):
        self.stream = self.opened.__enter__()
        return self

    def __exit__(self, *exception):
        return self.opened.__exit__(*exception)

    def write(self, data):
        self.stream.write(bytes(data)[:10])
        self.stream.flush()
        raise OSError(28, "No space left on device")


def test_a_write_that_runs_out_of_room_leaves_no_part_of_a_file_and_names_its_target(tmp_path, monkeypatch):
    real = output.open_temporary
    monkeypatch.setattr(output, "open_temporary", lambda path: _FullDisk(real(path)))
    target = tmp_path / "2026-01-19.txt"
    target.write_bytes(b"old")
    with pytest.raises(OSError) as info:
        output.write_replacing(target, b"x" * 100)
    assert info.value.filename == str(target)
    with pytest.raises(DigestError) as info:
        output.stage_text(tmp_path, "page.md", "y" * 100)
    assert str(info.value) == f"{tmp_path / 'page.md'}: could not write: No space left on device"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-01-19.txt"] and target.read_bytes() == b"old"


def test_a_cache_that_runs_out_of_room_leaves_no_part_of_a_file(tmp_path, monkeypatch):
    from digest import cache as cache_module

    real, opened = output.open_temporary, []

    def fills_on_the_second(path):
        opened.append(path)
        return real(path) if len(opened) < 2 else _FullDisk(real(path))

    monkeypatch.setattr(cache_module, "open_temporary", fills_on_the_second)
    cache = cache_module.BuildCache(folder=tmp_path / "cache")
    cache.used_fragments = {"key": "<p>entry</p>"}
    cache._new_parsed = {"2026-01-19.txt": list(range(1000))}
    cache.pickle_ahead()
    assert cache.ready == [] and len(opened) == 2
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_a_build_cache_on_a_file_system_of_its_own_is_refused_before_the_build(tmp_path, content_copy, monkeypatch):
    """The new site is made in the cache and renamed into place: across file systems (a cache
    mounted apart, as a CI volume) every build failed at the end with 'Invalid cross-device link'."""
    import digest.output
    from digest.build import build

    out = tmp_path / "site"
    build(content_copy, out, search=False)
    before = tree(out)
    spare = tmp_path / ".site.cache" / "site"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        status = real_stat(path, *args, **kwargs)
        if Path(path) == spare:  # as a mount of its own shows it
            return os.stat_result((*status[:2], status.st_dev + 1, *status[3:]))
        return status

    monkeypatch.setattr(digest.output.os, "stat", stat)
    with pytest.raises(DigestError) as caught:
        build(content_copy, out, search=False, clean=True)
    assert str(caught.value) == (f"{out}: cannot build into this folder: the build cache beside it, where the new "
                                 f"site is made, is on another file system (or mount) than the output folder, and "
                                 f"the new site is put in place by renaming folders; keep both on one")
    monkeypatch.undo()
    assert tree(out) == before


def test_a_file_system_that_refuses_locks_is_an_error_naming_the_folder(tmp_path, content_copy, monkeypatch):
    """NFS without its lock service: the error was a bare 'No locks available', naming nothing."""
    import errno
    import digest.output
    from digest.build import build

    def refused(file, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(digest.output.fcntl, "flock", refused)
    with pytest.raises(DigestError) as caught:
        build(content_copy, tmp_path / "site", search=False)
    assert str(caught.value) == (f"{content_copy}: cannot lock, which keeps two builds from writing at once: No "
                                 f"locks available")
    assert not (tmp_path / "site").exists()
