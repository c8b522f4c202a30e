"""Rendering in worker processes: the same bytes as one process, errors that still name the file,
and no worker left behind when a build is killed."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import synthetic_corpus, tree
from digest.build import build
from digest.errors import DigestError
from digest.parallel import ordered_map
from digest.inputs import default_templates_dir

TODAY = dt.date(2026, 11, 21)


def _slowly(n: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that both workers take some of the items
    return n, os.getpid()


def test_results_come_back_in_order_from_every_worker():
    items = list(range(300))
    assert list(ordered_map(_slowly, items, 1)) == [(n, os.getpid()) for n in items]
    results = list(ordered_map(_slowly, items, 3))
    assert [n for n, _ in results] == items
    pids = [pid for _, pid in results]
    # This process takes items from the front, the workers from the back.
    mine = pids.count(os.getpid())
    assert 0 < mine < len(items) and pids[:mine] == [os.getpid()] * mine
    assert len(set(pids)) == 3


def _cheap_then_dear(n: int) -> int:
    if n >= 100:
        time.sleep(0.004)
    return os.getpid()


def test_the_faster_process_takes_more_items():
    """The first half of the items costs nothing, the second half 4 ms each: this process, taking
    from the front, takes more than half of them; the worker, from the back, the rest."""
    pids = list(ordered_map(_cheap_then_dear, list(range(200)), 2))
    mine = pids.count(os.getpid())
    assert pids[:mine] == [os.getpid()] * mine and os.getpid() not in pids[mine:]
    assert 125 <= mine < 200, mine


def _fail_on(bad: tuple[int, ...]):
    def work(n: int) -> int:
        time.sleep(0.002)  # long enough that every process takes some of the items
        if n in bad:
            raise DigestError(f"{n} is not allowed", "numbers.txt", n)
        return n * n
    return work


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("bad", [(7, 12), (6, 7), (13,)])
def test_the_first_failing_item_gives_the_error_wherever_it_ran(workers, bad):
    # Chunks of one item: the failing items fall on this process, on forked workers, or on both.
    with pytest.raises(DigestError) as raised:
        list(ordered_map(_fail_on(bad), list(range(20)), workers))
    assert str(raised.value) == f"numbers.txt:{bad[0]}: {bad[0]} is not allowed"


def test_workers_give_the_same_site_and_markdown_as_one_process(tmp_path):
    corpus = synthetic_corpus(tmp_path / "corpus", 12)
    results = {}
    for jobs in (1, 2):
        content = tmp_path / f"content-{jobs}"
        shutil.copytree(corpus, content)
        result = build(content, tmp_path / f"site-{jobs}", today=TODAY, jobs=jobs)
        results[jobs] = result
        assert result.written and len(result.site.files) > 500
    assert tree(tmp_path / "site-1") == tree(tmp_path / "site-2")
    assert tree(tmp_path / "content-1") == tree(tmp_path / "content-2")


def test_a_template_error_in_a_worker_names_the_template_and_keeps_the_old_site(tmp_path):
    content = synthetic_corpus(tmp_path / "content", 6)
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    out = tmp_path / "site"
    build(content, out, templates_dir=templates, today=TODAY, jobs=2)
    before, markdown_before = tree(out), tree(content)
    paper = templates / "paper.html"
    lines = paper.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "{% block content %}" in text) + 1
    lines.insert(line - 1, "{{ paper.no_such_field }}")
    paper.write_text("\n".join(lines) + "\n")
    with pytest.raises(DigestError) as raised:
        build(content, out, templates_dir=templates, today=TODAY, jobs=2)
    assert str(raised.value).startswith(f"{paper}:{line}: template error:"), str(raised.value)
    assert "no_such_field" in str(raised.value)
    assert tree(out) == before and tree(content) == markdown_before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.cache", "content", "site", "templates"]
    assert not list(content.rglob(".*.tmp"))


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_end_when_the_build_is_killed(tmp_path):
    content = synthetic_corpus(tmp_path / "content", 30)
    # -j 2 (at most one per core, and the machines that run this have two or more): this process
    # and one forked worker.
    process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--clean", "--no-search", "-q", "-j", "2",
                                "--content", str(content), "--out", str(tmp_path / "site")])
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.02)
    assert len(workers) == 1, "the build should have started a worker"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the killed build"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_the_search_indexer_ends_when_the_build_is_killed_and_leaves_nothing_behind(tmp_path):
    """Pagefind runs in the background while the build goes on: killed with the build, it must
    not outlive it, and what it had written must reach neither this site nor the next."""
    content = synthetic_corpus(tmp_path / "content", 40)
    out = tmp_path / "site"
    command = [sys.executable, "-m", "digest", "build", "-q", "--content", str(content), "--out", str(out)]
    subprocess.run(command, check=True, timeout=300)
    before = tree(out)
    first = sorted((content / "snapshots").iterdir())[0]
    first.write_text(first.read_text().replace("Paper ", "Article "))  # every shard's text changes
    process = subprocess.Popen([*command[:4], "--clean", *command[4:]])
    indexers: set[int] = set()
    deadline = time.monotonic() + 120
    while not indexers and process.poll() is None and time.monotonic() < deadline:
        indexers = {pid for pid in _children(process.pid) if _comm(pid) == "pagefind"}
        time.sleep(0.01)
    assert indexers, "the build should have started Pagefind"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # Killed at its start, a shard takes Pagefind far longer than this to finish by itself.
    deadline = time.monotonic() + 0.15
    while any(_alive(pid) for pid in indexers) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(_alive(pid) for pid in indexers), "Pagefind outlived the killed build"
    assert tree(out) == before
    subprocess.run(command, check=True, timeout=300)
    assert not [p for p in tmp_path.rglob("*") if ".search-" in p.name]
    assert not [p for p in tree(out) if "search-" in p or "pagefind.json" in p]
    assert any(p.startswith("pagefind/") and p.endswith(".pf_meta") for p in tree(out))
