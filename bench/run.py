"""Benchmark: build a synthetic digest of N snapshots and report time, memory and output size.

    python bench/run.py                 # N = 100 and N = 1000
    python bench/run.py --snapshots 250 --repeat 3

The corpus is realistic in shape: about 50 cards per day drawn from a pool of
papers that recur over several days, real-sized abstracts (1.4-1.9 KB), and
every meta variant (organization, author count, "1 authors", year-less and
dated publication dates, with and without a comment count, no meta at all).
Each build runs in a fresh process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORDS = ("model", "training", "inference", "GPU", "kernel", "attention", "memory", "throughput", "latency",
         "quantization", "experts", "diffusion", "video", "language", "scaling", "compiler", "hardware",
         "efficient", "distributed", "cache", "sparse", "benchmark", "energy", "precision", "serving")
ORGS = (("deepseek-ai", "DeepSeek"), ("nvidia", "NVIDIA"), ("Tongyi-MAI", "Tongyi-MAI"),
        ("ReactiveAI", "Reactive AI"), ("Quark-LLM", "Quark"))


def make_paper(rng: random.Random, index: int, start: dt.date) -> dict:
    title_words = rng.sample(WORDS, 6)
    title = f"Paper {index}: " + " ".join(w.capitalize() for w in title_words)
    sentences = []
    while sum(len(s) for s in sentences) < rng.randint(1400, 1900):
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + ".")
    published = start - dt.timedelta(days=rng.randint(0, 900))
    kind = rng.random()
    who = (None if kind < 0.1 else ("org", rng.choice(ORGS)) if kind < 0.3
           else ("authors", 1 if kind < 0.32 else rng.randint(2, 120)))
    return {"title": title, "abstract": " ".join(sentences), "published": published, "who": who,
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
            paper = make_paper(rng, next_index, day)
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
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from digest.build import build
result = build(Path(sys.argv[1]), Path(sys.argv[2]))
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak, "files": len(result.site.files),
                  "papers": len(result.site.library.papers), "days": len(result.site.days)}))
"""


def timed_build(content: Path, out: Path) -> dict:
    """Build in a fresh process; returns its time, peak memory and counts."""
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BUILD, str(content), str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr}")
    figures = json.loads(done.stdout)
    figures["wall_seconds"] = time.perf_counter() - wall
    return figures


def run(snapshots: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp)
        make_corpus(root / "content", snapshots)
        cold = []
        for _ in range(repeat):
            shutil.rmtree(root / "site", ignore_errors=True)
            cold.append(timed_build(root / "content", root / "site"))
        noop = timed_build(root / "content", root / "site")
    median = statistics.median(c["wall_seconds"] for c in cold)
    figures = cold[0]
    return {
        "snapshots": snapshots, "papers": figures["papers"], "files": figures["files"],
        "cold_seconds": round(median, 2), "pages_per_second": round(figures["files"] / median),
        "peak_mib": round(max(c["peak_mib"] for c in cold)), "rebuild_seconds": round(noop["wall_seconds"], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="cold builds per size (median reported)")
    args = parser.parse_args()
    print(f"{'snapshots':>9} {'papers':>7} {'files':>7} {'cold s':>7} {'files/s':>8} {'peak MiB':>9} {'rebuild s':>9}")
    for n in args.snapshots:
        r = run(n, args.repeat)
        print(f"{r['snapshots']:>9} {r['papers']:>7} {r['files']:>7} {r['cold_seconds']:>7} "
              f"{r['pages_per_second']:>8} {r['peak_mib']:>9} {r['rebuild_seconds']:>9}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
