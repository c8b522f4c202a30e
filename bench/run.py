"""Benchmark: build a synthetic digest of N snapshots and report time, memory and output size.

    python bench/run.py                 # N = 100 and N = 1000
    python bench/run.py --snapshots 250 --repeat 3

The corpus is realistic in shape: about 50 cards per day drawn from a pool of
papers that recur over several days, every meta variant (organization, author
count, "1 authors", year-less and dated publication dates, with and without a
comment count, no meta at all), and titles and abstracts made from the real
papers of the bundled snapshots (1.4-1.9 KB), so that topic rules match as
often as they do on real papers.
Each build, digest's or Hugo's, is timed once the writes of the one before it
have reached the disk (as a day's build finds them), and runs in a fresh
process, so that its peak memory is its own: the build process's peak RSS,
the largest worker's peak RSS (mostly pages shared with the build process),
and the sampled peak proportional set size of the whole process tree ("all
PSS": shared pages counted once), sampled in the cold builds only, where memory
peaks: reading a large process's /proc/PID/smaps_rollup takes about 10 ms of
CPU, and ten times a second it slowed the short rebuilds it was timing.  Measured:
a cold build (median of --repeat, each into a new folder), a no-op rebuild, a rebuild
after adding one snapshot (a day's build: the second such rebuild, the first
after a cold build being printed apart), and a rebuild after editing one
template; for each, the time and the number of files written.  Where Hugo is installed
(Debian's package ``hugo``), the same pages are built with Hugo too: Hugo alone
is compared with digest's cold build without search (``--no-search``, timed
once), and Hugo followed by Pagefind over its paper pages (how a Hugo site gets
search) with digest's cold build.

Nothing is deleted until every build is timed: each cold build, digest's or
Hugo's, writes into a folder of its own.  On ext4 without a journal (as on the
machines this was written on), a file or folder made within about 30 s of a
large deletion costs far more: the file system passes over the inodes freed
in that time, one by one, before it takes a free one.  Making 15,000 folders
with a file in each took 1.1 s on a quiet file system and up to 17 s just
after as many had been deleted, which a build started then would pay, digest's
or Hugo's alike.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import functools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ORGS = (("deepseek-ai", "DeepSeek"), ("nvidia", "NVIDIA"), ("Tongyi-MAI", "Tongyi-MAI"),
        ("ReactiveAI", "Reactive AI"), ("Quark-LLM", "Quark"))


def seed_papers() -> list[tuple[str, str]]:
    """(title, abstract) of every paper in the bundled snapshots: the real text synthetic papers are made from."""
    sys.path.insert(0, str(REPO))
    from digest.inputs import read_snapshot_file

    papers: dict[str, str] = {}
    for path in sorted((REPO / "content" / "snapshots").iterdir()):
        for card in read_snapshot_file(path).cards:
            papers.setdefault(card.title, card.abstract)
    return sorted(papers.items())


def make_paper(rng: random.Random, index: int, start: dt.date, seeds: list[tuple[str, str]],
               vocabulary: list[str]) -> dict:
    """A paper made from a real one: its title and sentences reshuffled, about one word in twelve
    replaced by a word of another real abstract.  Abstracts keep real sizes (1.4-1.9 KB) and real
    text, so topic rules match as often as on real papers (one to five topics each)."""
    title, abstract = rng.choice(seeds)
    sentences = re.split(r"(?<=[.!?])\s+", abstract)
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    for i in range(len(words)):
        if rng.random() < 0.08:
            words[i] = rng.choice(vocabulary)
    published = start - dt.timedelta(days=rng.randint(0, 900))
    kind = rng.random()
    who = (None if kind < 0.1 else ("org", rng.choice(ORGS)) if kind < 0.3
           else ("authors", 1 if kind < 0.32 else rng.randint(2, 120)))
    return {"title": f"Paper {index}: {title}", "abstract": " ".join(words), "published": published, "who": who,
            "comments": rng.choice([None, None, 1, 2, 5, 9])}


def card_text(paper: dict, list_day: dt.date) -> str:
    lines = [paper["title"], "", paper["abstract"], ""]
    if paper["who"] is None:
        return "\n".join(lines)
    kind, value = paper["who"]
    who = f"{value[0]} {value[1]}" if kind == "org" else f"  • {value} authors"
    published = paper["published"]
    date = f"{MONTHS[published.month - 1]} {published.day}"
    if published.year != list_day.year:
        date += f", {published.year}"
    if paper["comments"]:
        date += f" {paper['comments']}"
    return "\n".join(lines + [who, "·", date, ""])


def make_corpus(folder: Path, snapshots: int, seed: int = 7) -> None:
    """A content folder of ``snapshots`` daily text snapshots plus the bundled configuration."""
    rng = random.Random(seed)
    seeds = seed_papers()
    vocabulary = sorted({word for _, abstract in seeds for word in abstract.split()})
    folder.mkdir(parents=True)
    (folder / "snapshots").mkdir()
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(REPO / "content" / name, folder / name)
    first = dt.date(2023, 1, 1)
    pool: list[dict] = []
    next_index = 0
    for n in range(snapshots):
        day = first + dt.timedelta(days=n)
        # Papers trend for a few days: keep most of yesterday's, add new ones.
        keep = [p for p in pool if rng.random() < 0.7][:40]
        while len(keep) < 50:
            paper = make_paper(rng, next_index, day, seeds, vocabulary)
            paper["published"] = min(paper["published"], day)
            next_index += 1
            keep.append(paper)
        rng.shuffle(keep)
        pool = keep
        header = f"new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n" \
                 f"byAK and the research community\n\n{MONTHS[day.month - 1]} {day.day}\n\n"
        text = header + "\n".join(card_text(p, day) for p in keep)
        (folder / "snapshots" / f"{day.isoformat()}.txt").write_text(text, encoding="utf-8")


BUILD = """
import json, os, resource, sys, time
from pathlib import Path
start = time.perf_counter()
# As the digest command does (digest.cli.cmd_build): compare the inputs with the last build's
# before loading the rest of digest.
from digest.inputs import check_inputs
args = json.loads(sys.argv[1])
content, out, templates = Path(args["content"]), Path(args["out"]), Path(args["templates"])
checked = check_inputs(content, out, templates, search=args["search"])
site, written = None, ()
if not (checked and checked.unchanged):
    from digest.build import build
    result = build(content, out, templates_dir=templates, search=args["search"], checked=checked)
    site, written = result.site, result.written
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker or indexer
print(json.dumps({"seconds": elapsed, "peak_mib": peak, "worker_mib": workers,
                  "files": len(site.files) if site else None,
                  "written": len(written), "papers": len(site.library.papers) if site else None}), flush=True)
os._exit(0)  # as the digest command does (digest.cli.run): the model is not freed object by object
"""


#: The kcmp system call (Linux) by machine, and its question "same memory?" (KCMP_VM).
_KCMP = {"x86_64": 312, "aarch64": 272}
_KCMP_VM = 1


def _runs_in_parents_memory(pid: int, parent: int) -> bool:
    """Whether a process is still in its parent's memory, not a copy of it: a child Python's
    subprocess makes with vfork, between its start and its exec.  Its proportional set size is
    its parent's, which would be counted twice (a sample caught Pagefind's start as a process
    of 447 MiB beside the build's 446)."""
    number = _KCMP.get(platform.machine())
    if number is None:
        return False
    return _libc().syscall(number, pid, parent, _KCMP_VM, 0, 0) == 0


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded once: the sampler asks about each process ten times a second."""
    return ctypes.CDLL(None, use_errno=True)


def _tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and all its descendants (Linux): memory shared between
    forked workers counts once, split between them, and a child still in its parent's memory
    not at all."""
    total, stack = 0, [(pid, None)]
    while stack:
        current, parent = stack.pop()
        try:
            if parent is None or not _runs_in_parents_memory(current, parent):
                for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend((int(c), current) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def timed_build(content: Path, out: Path, templates: Path, *, cold: bool = False, search: bool = True) -> dict:
    """Build in a fresh process; returns its time, peak memory and counts.  For a cold build
    (``cold``: into a new folder), where /proc allows, the peak of the whole process tree's
    proportional memory is sampled as well."""
    os.sync()  # the last build's writes reach the disk before this one is timed
    wall = time.perf_counter()
    arguments = json.dumps({"content": str(content), "out": str(out), "templates": str(templates), "search": search})
    process = subprocess.Popen([sys.executable, "-c", BUILD, arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak_pss = [0]

    def sample() -> None:
        while process.poll() is None:
            peak_pss[0] = max(peak_pss[0], _tree_pss_kib(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    if cold:
        sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - wall  # not counting the sampler's last turn
    if cold:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"build failed:\n{stderr}")
    figures = json.loads(stdout)
    figures["wall_seconds"] = seconds
    figures["tree_mib"] = peak_pss[0] / 1024
    return figures


def run(root: Path, snapshots: int, repeat: int, search: bool) -> dict:
    """In the new folder ``root``: cold builds (median of ``repeat``), then a no-op rebuild of the
    last, two rebuilds after adding one snapshot each, and a rebuild after editing one template.

    The first rebuild after a cold build also makes the spare folder that later
    rebuilds update (see digest.output.SiteWriter), so the second add-one rebuild
    is the one a daily build sees; both are reported."""
    make_corpus(root / "full", snapshots + 2)
    content = root / "content"
    shutil.copytree(root / "full", content)
    held = sorted((content / "snapshots").iterdir())[-2:]
    for path in held:
        path.rename(root / path.name)  # held back for the add-one rebuilds
    templates = root / "templates"
    shutil.copytree(REPO / "templates", templates)
    cold = [timed_build(content, root / f"site-{i}", templates, cold=True, search=search) for i in range(repeat)]
    site = root / f"site-{repeat - 1}"
    # The same build without the search index, to compare with Hugo, which has none.
    bare = timed_build(content, root / "bare", templates, cold=True, search=False) if search else None
    noop = timed_build(content, site, templates, search=search)
    adds = []
    for path in held:
        (root / path.name).rename(content / "snapshots" / path.name)
        adds.append(timed_build(content, site, templates, search=search))
    base = templates / "base.html"
    base.write_text(base.read_text().replace("Data from saved snapshots", "Data from snapshots saved"))
    template = timed_build(content, site, templates, search=search)
    median = statistics.median(c["wall_seconds"] for c in cold)
    runs = [*cold, noop, *adds, template]
    return {
        "snapshots": snapshots, "papers": cold[0]["papers"], "files": cold[0]["files"],
        "cold": median, "files_per_second": cold[0]["files"] / median,
        "peak_mib": max(c["peak_mib"] for c in runs), "worker_mib": max(c["worker_mib"] for c in runs),
        "tree_mib": max(c["tree_mib"] for c in runs),
        "noop": noop["wall_seconds"], "noop_written": noop["written"],
        "add_first": adds[0]["wall_seconds"], "add_first_written": adds[0]["written"],
        "add_one": adds[1]["wall_seconds"], "add_one_written": adds[1]["written"],
        "template": template["wall_seconds"], "template_written": template["written"],
        "cold_no_search": bare["wall_seconds"] if bare else median,
    }


HUGO_CONFIG = """baseURL = "https://digest.example.org/"
title = "Trending Papers Digest"
disableKinds = ["robotsTXT"]
paginate = 50
[taxonomies]
topic = "topics"
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
                            '<link rel="stylesheet" href="/style.css"></head><body><header><a href="/">Home</a>'
                            '</header><main>{{ block "main" . }}{{ end }}</main></body></html>',
    # As in digest, search indexes the paper pages only.
    "_default/single.html": '{{ define "main" }}<article{{ if eq .Section "papers" }} data-pagefind-body{{ end }}>'
                            '<h1>{{ .Title }}</h1>{{ .Content }}</article>'
                            '{{ range .Params.topics }}<a href="/topics/{{ . | urlize }}/">{{ . }}</a> {{ end }}{{ end }}',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}<article><h2>'
                          '<a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>{{ .Summary }}</article>{{ end }}'
                          '{{ template "_internal/pagination.html" . }}{{ end }}',
}


def hugo_site(content: Path, folder: Path) -> None:
    """The same pages as digest's, as a Hugo site: a page per list day (its ranked papers with
    excerpts) and per paper (abstract, topics), topics as a paginated taxonomy with feeds."""
    sys.path.insert(0, str(REPO))
    from digest.build import load

    loaded = load(content)
    (folder / "content" / "dates").mkdir(parents=True)
    (folder / "content" / "papers").mkdir(parents=True)
    for name, text in HUGO_LAYOUTS.items():
        (folder / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "layouts" / name).write_text(text)
    (folder / "hugo.toml").write_text(HUGO_CONFIG)
    (folder / "static").mkdir()
    shutil.copyfile(REPO / "templates" / "assets" / "style.css", folder / "static" / "style.css")
    titles = {t.slug: t.title for t in loaded.library.topics}
    for day in loaded.days:
        body = "\n\n".join(f"## {i.rank}. [{i.title}](/papers/{i.slug}/)\n\n{i.who}\n\n{i.abstract[:320]}"
                            for i in day.items)
        (folder / "content" / "dates" / f"{day.date}.md").write_text(
            f"---\ntitle: {json.dumps(day.title)}\ndate: {day.date}\n---\n\n{body}\n")
    for paper in loaded.library.papers.values():
        topics = json.dumps([titles[m.topic] for m in paper.topics] or ["Other"])
        (folder / "content" / "papers" / f"{paper.slug}.md").write_text(
            f"---\ntitle: {json.dumps(paper.title)}\ndate: {paper.last_seen}\ntopics: {topics}\n---\n\n"
            f"{paper.abstract}\n")


def hugo_build(folder: Path, out: Path, search: bool) -> tuple[float, int]:
    """Seconds and files of a cold Hugo build of the folder into the new folder ``out``; with
    ``search``, followed by Pagefind over its paper pages, as a Hugo site gets search."""
    os.sync()
    start = time.perf_counter()
    subprocess.run(["hugo", "--quiet", "--source", str(folder), "--destination", str(out)], check=True)
    if search:
        subprocess.run([pagefind_binary(), "--site", str(out), "--silent", "--force-language", "en"], check=True)
    seconds = time.perf_counter() - start
    return seconds, sum(1 for p in out.rglob("*") if p.is_file())


def pagefind_binary() -> str:
    sys.path.insert(0, str(REPO))
    from digest.search import _executable

    return _executable()


def compare_with_hugo(root: Path, snapshots: int, repeat: int, digest_cold: float,
                      digest_cold_no_search: float | None) -> str:
    """In the new folder ``root``: Hugo alone against digest without search, and Hugo followed by
    Pagefind against digest."""
    make_corpus(root / "content", snapshots)
    hugo_site(root / "content", root / "hugo")
    lines = []
    for search, digest_seconds in ((False, digest_cold_no_search), (True, digest_cold)):
        if digest_seconds is None:
            continue
        runs = [hugo_build(root / "hugo", root / f"public-{'search-' if search else ''}{i}", search)
                for i in range(repeat)]
        seconds = statistics.median(r[0] for r in runs)
        lines.append(f"{'':>9} {'Hugo + Pagefind' if search else 'Hugo'}: {seconds:.2f} s for {runs[0][1]} files "
                     f"({runs[0][1] / seconds:.0f} files/s); digest{'' if search else ' --no-search'} takes "
                     f"{digest_seconds:.2f} s, {digest_seconds / seconds:.2f}x")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="cold builds per size (median reported)")
    parser.add_argument("--no-search", dest="search", action="store_false", help="leave out the search index")
    args = parser.parse_args()
    # digest as pip installs it, with its modules compiled: an editable install, or an environment
    # with PYTHONDONTWRITEBYTECODE set, would compile them again in every build.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "digest")], check=True)
    print(f"{'snapshots':>9} {'papers':>7} {'files':>6} {'cold s':>7} {'files/s':>7} {'peak MiB':>8} {'worker':>6} "
          f"{'all PSS':>7} "
          f"{'no-op s':>8} {'written':>7} {'add-1 s':>8} {'written':>7} {'tmpl s':>7} {'written':>7}")
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:  # removed once all is timed
        for n in args.snapshots:
            measure(Path(tmp), n, args)
    return 0


def measure(root: Path, n: int, args: argparse.Namespace) -> None:
    """Measure and print one size, digest's builds and then Hugo's, in new folders of ``root``."""
    r = run(root / f"digest-{n}", n, args.repeat, args.search)
    print(f"{r['snapshots']:>9} {r['papers']:>7} {r['files']:>6} {r['cold']:>7.2f} {r['files_per_second']:>7.0f} "
          f"{r['peak_mib']:>8.0f} {r['worker_mib']:>6.0f} {r['tree_mib']:>7.0f} {r['noop']:>8.2f} {r['noop_written']:>7} "
          f"{r['add_one']:>8.2f} {r['add_one_written']:>7} {r['template']:>7.2f} {r['template_written']:>7}",
          flush=True)
    print(f"{'':>9} no-op {100 * r['noop'] / r['cold']:.1f}% of cold, add-one {100 * r['add_one'] / r['cold']:.1f}% "
          f"(the first after a cold build: {r['add_first']:.2f} s, {100 * r['add_first'] / r['cold']:.1f}%, "
          f"{r['add_first_written']} written), template edit {100 * r['template'] / r['cold']:.1f}%", flush=True)
    if shutil.which("hugo"):
        print(compare_with_hugo(root / f"hugo-{n}", n, args.repeat, r["cold"] if args.search else None,
                                r["cold_no_search"]), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
