"""Shared fixtures: the seed snapshots, the bundled content, and a site built once per session."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SEEDS = REPO.parent / "shared" / "seeds"  # the original captures, under their original names
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

#: The bundled snapshots under their list-day names, oldest first.
BUNDLED = ["2025-11-03.txt", "2025-12-16.txt", "2026-01-07.txt", "2026-01-19.txt"]
#: The original capture names of the same files, in the same order.
ORIGINAL_NAMES = ["001_017177ce85f69ad9.txt", "000_84d5e573882e4a31.txt",
                  "002_01d539c9da1dedaa.txt", "003_9fcba986adb36232.txt"]


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """The four seeds under their original capture names (copied from content/ when shared/ is absent)."""
    folder = tmp_path_factory.mktemp("seeds")
    for bundled, original in zip(BUNDLED, ORIGINAL_NAMES):
        source = SEEDS / original if (SEEDS / original).is_file() else CONTENT / "snapshots" / bundled
        shutil.copyfile(source, folder / original)
    return folder


def copy_content(target: Path) -> Path:
    """A copy of the bundled content folder (snapshots and configuration, no generated pages)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(CONTENT / "snapshots", target / "snapshots")
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, target / name)
    return target


def lengthen_first_abstract(content: Path, times: int = 8) -> None:
    """Make the abstract of the first paper of the bundled 2025-11-03 snapshot ``times`` as long (about
    1.6 KB each), in every snapshot that shows it: with email.abstract_chars as large, that day's
    e-mail outgrows a small max_html_bytes."""
    for snapshot in (content / "snapshots").iterdir():
        lines = snapshot.read_text(encoding="utf-8").split("\n")
        for at, line in enumerate(lines):
            if line.startswith("The rapid scaling of large language models"):
                lines[at] = " ".join([line] * times)
        snapshot.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def content_copy(tmp_path) -> Path:
    return copy_content(tmp_path / "content")


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m digest ARGS`` as a user would, capturing text output."""
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "digest", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The bundled content built once by the CLI; returns the site folder (content is beside it)."""
    root = tmp_path_factory.mktemp("built")
    content = copy_content(root / "content")
    result = run_cli("build", "--content", content, "--out", root / "site")
    assert result.returncode == 0, result.stderr
    return root / "site"


def tree(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under a folder."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def bundled_content_left_alone():
    """No test builds in the repository's own content folder, whose Markdown pages a build would
    bring up to date: test_committed_markdown_is_up_to_date would then pass on stale pages."""
    before = tree(CONTENT)
    yield
    assert tree(CONTENT) == before, "a test wrote into the repository's content folder"


def synthetic_corpus(folder: Path, snapshots: int) -> Path:
    """A content folder of synthetic daily snapshots, made by the benchmark's generator."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.make_corpus(folder, snapshots)
    return folder
