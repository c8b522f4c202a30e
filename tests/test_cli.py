"""End-to-end tests of the command line: ``digest parse``, ``digest build`` and its error handling."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import BUNDLED, CONTENT, FIXTURES, ORIGINAL_NAMES, REPO, copy_content, run_cli, tree

PAPER_KEYS = {"rank", "title", "abstract", "organization", "authors", "published", "comments",
              "upvotes", "arxiv_id", "url", "author_names", "github", "keywords", "project_page", "thumbnail"}
SNAPSHOT_KEYS = {"source", "date", "date_source", "format", "papers"}
EXPECTED_DATES = {
    "000_84d5e573882e4a31.txt": "2025-12-16",
    "001_017177ce85f69ad9.txt": "2025-11-03",
    "002_01d539c9da1dedaa.txt": "2026-01-07",
    "003_9fcba986adb36232.txt": "2026-01-19",
}
LIST_DAYS = ["2025-11-03", "2025-12-16", "2026-01-07", "2026-01-19"]
MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
LIST_DAY_LINE = re.compile(r"^(%s) (\d{1,2})$" % "|".join(MONTHS))
META_DATE = re.compile(r"^(%s) (\d{1,2})(?:, (\d{4}))?(?: (\d+))?$" % "|".join(MONTHS))


# --- helpers -----------------------------------------------------------------------------------


def read_cards(path: Path, list_year: int) -> list[dict]:
    """A tiny reader of a text snapshot, independent of digest's parser.

    Blocks are runs of non-blank lines.  After the lone list-day line, blocks
    alternate title / abstract / optional meta (three lines: who, "·", date [comments]).
    """
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    start = next(i for i, b in enumerate(blocks) if len(b) == 1 and LIST_DAY_LINE.match(b[0])) + 1
    cards, i = [], start
    while i < len(blocks):
        title, abstract = blocks[i], blocks[i + 1]
        assert len(title) == 1 and len(abstract) == 1, (path, title, abstract)
        i += 2
        card = {"title": title[0], "abstract": abstract[0], "organization": None, "authors": None,
                "published": None, "comments": None}
        if i < len(blocks) and len(blocks[i]) == 3 and blocks[i][1] == "·":
            who, _, when = blocks[i]
            i += 1
            authors = re.fullmatch(r"• (\d+) authors?", who)
            if authors:
                card["authors"] = int(authors[1])
            else:
                handle, _, name = who.partition(" ")
                card["organization"] = {"handle": handle, "name": name}
            m = META_DATE.match(when)
            assert m, when
            year = int(m[3]) if m[3] else list_year
            card["published"] = dt.date(year, MONTHS[m[1]], int(m[2])).isoformat()
            card["comments"] = int(m[4]) if m[4] else None
        cards.append(card)
    return cards


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def topic_slugs() -> list[str]:
    data = yaml.safe_load((CONTENT / "topics.yaml").read_text(encoding="utf-8"))
    return [t["slug"] for t in data["topics"]]


def assert_one_error_line(result, *needles: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got: {result.stderr!r}"
    line = lines[0]
    assert line.startswith("digest: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


# --- digest parse --json -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed(seed_dir):
    files = [seed_dir / name for name in sorted(EXPECTED_DATES)]
    result = run_cli("parse", "--json", *files)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def test_expected_dates_agree_with_the_bundled_names():
    assert {o: b.removesuffix(".txt") for o, b in zip(ORIGINAL_NAMES, BUNDLED)} == EXPECTED_DATES


def test_parse_json_shape_and_dates(parsed):
    assert isinstance(parsed, list)
    assert [s["source"] for s in parsed] == sorted(EXPECTED_DATES)  # argument order
    for snapshot in parsed:
        assert set(snapshot) == SNAPSHOT_KEYS
        assert snapshot["date"] == EXPECTED_DATES[snapshot["source"]]
        assert snapshot["format"] == "text"
        assert snapshot["date_source"] in {"filename", "option", "content", "other-snapshots"}
        assert snapshot["papers"], snapshot["source"]
        for paper in snapshot["papers"]:
            assert set(paper) == PAPER_KEYS, paper.keys()


def test_parse_json_is_json_on_an_output_that_is_not_utf8(tmp_path):
    """On an ASCII output, characters beyond it were written as Python's escapes (\\xe9), no JSON."""
    answer = json.loads((FIXTURES / "json" / "2026-01-19.json").read_text())
    answer[0]["paper"]["title"] = "Caf\u00e9 \U0001F600 test"
    (tmp_path / "2026-01-19.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    result = run_cli("parse", "--json", tmp_path / "2026-01-19.json", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["papers"][0]["title"] == "Caf\u00e9 \U0001F600 test"


def test_parse_json_argument_order_is_kept(seed_dir):
    files = [seed_dir / name for name in reversed(sorted(EXPECTED_DATES))]
    result = run_cli("parse", "--json", *files)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["source"] for s in data] == [f.name for f in files]
    assert [s["date"] for s in data] == [EXPECTED_DATES[f.name] for f in files]


def test_parse_json_cards_match_an_independent_reading(parsed, seed_dir):
    for snapshot in parsed:
        path = seed_dir / snapshot["source"]
        lines = set(path.read_text(encoding="utf-8").split("\n"))
        expected = read_cards(path, int(snapshot["date"][:4]))
        papers = snapshot["papers"]
        assert len(papers) == len(expected), snapshot["source"]
        assert [p["rank"] for p in papers] == list(range(1, len(expected) + 1))
        for paper, card in zip(papers, expected):
            assert paper["title"] in lines, paper["title"]
            assert paper["abstract"] in lines, paper["title"]
            for key, value in card.items():
                assert paper[key] == value, (snapshot["source"], paper["rank"], key)
            # Text snapshots carry no votes, ids or links.
            assert paper["upvotes"] is None and paper["arxiv_id"] is None and paper["url"] is None
            # Text dumps hold none of the richer fields.
            assert all(paper[key] is None for key in ("author_names", "github", "keywords",
                                                      "project_page", "thumbnail"))


def _card(parsed, source: str, title_start: str) -> dict:
    snapshot = next(s for s in parsed if s["source"] == source)
    found = [p for p in snapshot["papers"] if p["title"].startswith(title_start)]
    assert len(found) == 1, (source, title_start)
    return found[0]


def test_parse_json_hand_checked_values(parsed):
    sizes = {s["source"]: len(s["papers"]) for s in parsed}
    assert sizes == {"000_84d5e573882e4a31.txt": 15, "001_017177ce85f69ad9.txt": 5,
                     "002_01d539c9da1dedaa.txt": 9, "003_9fcba986adb36232.txt": 57}

    tensor = _card(parsed, "003_9fcba986adb36232.txt", "TensorBLEU")
    assert tensor["title"] == ("TensorBLEU: Vectorized GPU-based BLEU Score Implementation "
                               "for Per-Sentence In-Training Evaluation")
    assert tensor["organization"] == {"handle": "ReactiveAI", "name": "Reactive AI"}
    assert tensor["authors"] is None
    assert tensor["published"] == "2025-10-06"
    assert tensor["comments"] == 2

    challenges = _card(parsed, "003_9fcba986adb36232.txt", "Challenges in Deploying Long-Context Transformers")
    assert challenges["authors"] == 1
    assert challenges["organization"] is None
    assert challenges["comments"] is None
    assert challenges["published"] == "2024-05-14"

    first = next(s for s in parsed if s["source"] == "000_84d5e573882e4a31.txt")["papers"][0]
    assert first["rank"] == 1
    assert first["title"].startswith("Insights into DeepSeek-V3")
    assert first["organization"] == {"handle": "deepseek-ai", "name": "DeepSeek"}
    assert first["published"] == "2025-05-14"
    assert first["comments"] == 5

    # Cards without a meta block have no who, date or comments.
    shader = _card(parsed, "000_84d5e573882e4a31.txt", "Diffusion as Shader")
    assert shader["rank"] == 2
    assert (shader["organization"], shader["authors"], shader["published"], shader["comments"]) == (None,) * 4

    minimax = _card(parsed, "000_84d5e573882e4a31.txt", "MiniMax-M1")
    assert minimax["authors"] == 127


# --- digest build --------------------------------------------------------------------------------


def expected_site_files(content: Path) -> set[str]:
    files = {"index.html", "topics/index.html", "archive/index.html", "feed.xml", "atom.xml",
             "404.html", "assets/style.css"}
    files |= {f"dates/{d}/index.html" for d in LIST_DAYS}
    files |= {f"email/{d}.{ext}" for d in LIST_DAYS for ext in ("html", "txt", "eml")}
    for slug in topic_slugs():
        files |= {f"topics/{slug}/index.html", f"topics/{slug}/feed.xml", f"topics/{slug}/atom.xml"}
    return files


def test_build_writes_site_and_markdown(content_copy, tmp_path):
    out = tmp_path / "site"
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    written = set(tree(out))
    missing = expected_site_files(content_copy) - written
    assert not missing, sorted(missing)

    # One page per paper: as many as distinct titles in the snapshots, and every listed slug has one.
    titles = set()
    for name in BUNDLED:
        titles |= {c["title"].casefold() for c in read_cards(content_copy / "snapshots" / name, int(name[:4]))}
    paper_pages = {p for p in written if p.startswith("papers/")}
    assert all(re.fullmatch(r"papers/[a-z0-9][a-z0-9.-]*/index\.html", p) for p in paper_pages), paper_pages
    assert len(paper_pages) == len(titles) == 71

    assert sorted(p.name for p in (content_copy / "dates").glob("*.md")) == [f"{d}.md" for d in LIST_DAYS]
    assert sorted(p.stem for p in (content_copy / "topics").glob("*.md")) == sorted(topic_slugs())
    for md in (content_copy / "dates").glob("*.md"):
        front = yaml.safe_load(md.read_text(encoding="utf-8").split("---\n")[1])
        for slug in front["papers"] + front["dropped"]:
            assert f"papers/{slug}/index.html" in written, slug


def test_build_is_the_default_command(tmp_path):
    project = tmp_path / "project"
    copy_content(project / "content")
    result = run_cli(cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "site" / "index.html").is_file()
    assert (project / "site" / "dates" / "2026-01-19" / "index.html").is_file()
    assert (project / "site" / "feed.xml").is_file()
    assert sorted(p.name for p in (project / "content" / "dates").glob("*.md")) == [f"{d}.md" for d in LIST_DAYS]


# --- bad input leaves everything as it was -------------------------------------------------------


@pytest.fixture
def built(content_copy, tmp_path):
    """A content copy built once into tmp/site; returns (content folder, site folder)."""
    out = tmp_path / "site"
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 0, result.stderr
    return content_copy, out


def _state(content: Path, out: Path) -> tuple:
    return tree(out), tree(content / "dates"), tree(content / "topics"), sorted(p.name for p in out.parent.iterdir())


def _snapshot_text(list_day: str, cards: list[tuple[str, ...]]) -> str:
    lines = ["new", "", "Daily Papers", "", "byAK and the research community", "", list_day, ""]
    for card in cards:
        for block in card:
            lines += [block, ""]
    return "\n".join(lines)


def test_title_without_abstract_is_refused(built):
    content, out = built
    before = _state(content, out)
    text = _snapshot_text("Jan 20", [("A complete card", "Its abstract.", "• 3 authors\n·\nJan 2 4"),
                                     ("A lonely title at the end",)])
    bad = content / "snapshots" / "2026-01-20.txt"
    bad.write_text(text, encoding="utf-8")
    title_line = text.split("\n").index("A lonely title at the end") + 1
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result, "2026-01-20.txt", f":{title_line}:", "abstract")
    assert _state(content, out) == before


def test_list_day_contradicting_file_name_is_refused(built):
    content, out = built
    before = _state(content, out)
    text = _snapshot_text("Jan 21", [("A title", "An abstract.")])
    (content / "snapshots" / "2026-01-20.txt").write_text(text, encoding="utf-8")
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 1, result.stderr
    line = assert_one_error_line(result, "2026-01-20.txt", f":{text.split(chr(10)).index('Jan 21') + 1}:")
    assert "2026-01-20" in line.split("2026-01-20.txt", 1)[1]
    assert _state(content, out) == before


def test_non_utf8_snapshot_is_refused(built):
    content, out = built
    before = _state(content, out)
    data = _snapshot_text("Jan 20", [("A title \xff here", "An abstract.")]).encode("utf-8")
    data = data.replace("\xff".encode("utf-8"), b"\xff")
    (content / "snapshots" / "2026-01-20.txt").write_bytes(data)
    line_number = data.split(b"\n").index(b"A title \xff here") + 1
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result, "2026-01-20.txt", f":{line_number}:", "UTF-8")
    assert _state(content, out) == before


@pytest.mark.parametrize("extra, key", [("feed_items: many\n", "feed_items"),
                                        ("colour: red\n", "colour")])
def test_bad_site_yaml_is_refused(built, extra, key):
    content, out = built
    site_yaml = content / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    if key in text:
        text = re.sub(rf"(?m)^{key}:.*\n", "", text)
    site_yaml.write_text(text + extra, encoding="utf-8")
    before = _state(content, out)
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result, "site.yaml", key)
    assert _state(content, out) == before


def test_unknown_option_is_a_usage_error(built):
    content, out = built
    before = _state(content, out)
    result = run_cli("build", "--content", content, "--out", out, "--frobnicate")
    assert result.returncode == 2, result.stderr
    assert_one_error_line(result, "--frobnicate")
    assert result.stdout == ""
    assert _state(content, out) == before


def test_out_folder_not_built_by_digest_is_refused(content_copy, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("do not touch\n", encoding="utf-8")
    (out / "sub").mkdir()
    (out / "sub" / "index.html").write_text("<p>mine</p>\n", encoding="utf-8")
    before = tree(out), sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("build", "--content", content_copy, "--out", out)
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result, "precious")
    assert (tree(out), sorted(p.name for p in tmp_path.iterdir())) == before


@pytest.mark.parametrize("out, message", [
    ("s" * 250, "the output folder's name is too long: the build cache beside it, .NAME.cache, would have a name "
                "of 257 bytes"),
    ("a-file/site", "a-file is a file, not a folder; choose another --out"),
])
@pytest.mark.parametrize("clean", [[], ["--clean"]])
def test_an_output_folder_the_cache_cannot_go_beside_is_one_error(content_copy, tmp_path, out, message, clean):
    (tmp_path / "a-file").write_text("mine\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("build", *clean, "--content", content_copy, "--out", tmp_path / out, "--no-search")
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- determinism and Markdown housekeeping -------------------------------------------------------


def test_builds_are_byte_identical(tmp_path):
    contents = [copy_content(tmp_path / f"c{i}" / "content") for i in range(4)]
    envs = [{}, {}, {"SOURCE_DATE_EPOCH": "1700000000"}, {"SOURCE_DATE_EPOCH": "1900000000"}]
    sites = []
    env_base = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    for i, (content, extra) in enumerate(zip(contents, envs)):
        out = tmp_path / f"out{i}" / "site"
        result = run_cli("build", "--content", content, "--out", out, env={**env_base, **extra})
        assert result.returncode == 0, result.stderr
        sites.append(tree_bytes(out))
    first = sites[0]
    assert len(first) > 100
    for other in sites[1:]:
        assert sorted(other) == sorted(first)
        differing = [path for path in first if first[path] != other[path]]
        assert not differing, differing
    markdown = [tree_bytes(c / "dates") | {"topics/" + k: v for k, v in tree_bytes(c / "topics").items()}
                for c in contents]
    assert all(m == markdown[0] for m in markdown[1:])


def test_second_build_leaves_markdown_untouched(built):
    content, out = built
    pages = sorted((content / "dates").glob("*.md")) + sorted((content / "topics").glob("*.md"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in pages}
    site_before = tree(out)
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 0, result.stderr
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in
             sorted((content / "dates").glob("*.md")) + sorted((content / "topics").glob("*.md"))}
    assert after == before
    assert tree(out) == site_before


def test_deleted_markdown_page_comes_back(built):
    content, out = built
    page = content / "dates" / "2026-01-07.md"
    original = page.read_bytes()
    page.unlink()
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 0, result.stderr
    assert page.read_bytes() == original


def test_hand_written_markdown_is_never_deleted(built):
    content, out = built
    hand = {
        content / "dates" / "notes.md": "# My notes\n\nWritten by hand about the digest generator.\n",
        content / "dates" / "2020-01-01.md": "---\ntitle: An old day I wrote myself\n---\n\nHello.\n",
        content / "topics" / "my-topic.md": "---\ntitle: Mine\ngenerator: me\n---\n\nText.\n",
    }
    for path, text in hand.items():
        path.write_text(text, encoding="utf-8")
    stale = content / "dates" / "2020-01-02.md"
    stale.write_text("---\ntitle: old\ndate: 2020-01-02\ntype: day\ngenerator: digest\n---\n", encoding="utf-8")
    for _ in range(2):
        result = run_cli("build", "--content", content, "--out", out)
        assert result.returncode == 0, result.stderr
        for path, text in hand.items():
            assert path.read_text(encoding="utf-8") == text, path
    assert not stale.exists(), "a stale generated page (generator: digest) should be removed"


def test_a_hand_written_page_where_a_generated_one_goes_is_never_replaced(built):
    """A page of the user's named like the page of a day that only later gets a snapshot (or of a
    topic added later): the build, and digest check, refuse to replace it, and change nothing."""
    content, out = built
    mine = content / "dates" / "2026-01-20.md"
    mine.write_text("# My notes for the 20th\n", encoding="utf-8")
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 0 and mine.read_text(encoding="utf-8") == "# My notes for the 20th\n"
    (content / "snapshots" / "2026-01-20.txt").write_text(
        (content / "snapshots" / "2026-01-19.txt").read_text(encoding="utf-8").replace("Jan 19", "Jan 20"),
        encoding="utf-8")
    pages = {p: p.read_bytes() for p in sorted(content.rglob("*.md"))}
    site = tree(out)
    for command in ("build", "check"):
        result = run_cli(command, "--content", content, *(["--out", out] if command == "build" else []))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1 and "dates/2026-01-20.md: a page digest did not make" in result.stderr
    assert {p: p.read_bytes() for p in sorted(content.rglob("*.md"))} == pages
    assert tree(out) == site


@pytest.mark.parametrize("shape", ["CRLF", "BOM", "trailing spaces", "80 KB of front matter before the line"])
def test_pages_of_digests_in_a_clone_without_the_cache_are_rewritten(built, tmp_path, shape):
    """A content folder with its generated pages committed, checked out elsewhere (git on Windows
    makes line ends CRLF; an editor may add a byte-order mark): the pages are digest's, rewritten."""
    content, _ = built
    page = content / "dates" / "2026-01-07.md"
    made = page.read_bytes()
    if shape == "CRLF":
        page.write_bytes(made.replace(b"\n", b"\r\n"))
    elif shape == "BOM":
        page.write_bytes(b"\xef\xbb\xbf" + made)
    elif shape == "trailing spaces":
        page.write_bytes(made.replace(b"generator: digest\n", b"generator: digest  \n"))
    else:
        page.write_bytes(made.replace(b"papers:\n", b"papers:\n" + b"- x\n" * 20_000, 1))
    stale = content / "dates" / "2020-01-01.md"  # and such a page no longer made is removed
    stale.write_bytes(page.read_bytes().replace(b"date: 2026-01-07", b"date: 2020-01-01"))
    result = run_cli("build", "--content", content, "--out", tmp_path / "elsewhere")
    assert result.returncode == 0, result.stderr
    assert page.read_bytes() == made and not stale.exists()


def test_staged_pages_a_killed_build_left_are_removed_by_the_next_build(built):
    """A build killed after staging its Markdown pages leaves .NAME.md.tmp files beside them (and
    .NAME.md.digest-old, killed while moving them in); the next build removes them, even one that
    finds nothing else changed, and leaves the user's files alone."""
    content, out = built
    left = [content / "dates" / ".2020-01-01.md.tmp", content / "topics" / ".gone.md.tmp",
            content / "topics" / "agents" / ".page-9.md.tmp", content / "dates" / ".2026-01-07.md.digest-old"]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_text("---\ntitle: half made\ngenerator: digest\n---\n", encoding="utf-8")
    left.append(content / "topics" / ".empty.md.tmp")  # killed before it was written
    left[-1].write_bytes(b"")
    mine = content / "dates" / ".mine.md.tmp"
    mine.write_text("---\ntitle: my draft\n---\n", encoding="utf-8")
    result = run_cli("build", "--content", content, "--out", out)
    assert result.returncode == 0 and "nothing changed" in result.stdout, result.stderr
    assert [path for path in left if path.exists()] == [] and mine.read_text().startswith("---\ntitle: my draft")


def test_a_page_staged_or_kept_aside_by_a_build_killed_half_way_is_replaced(built):
    """A build killed between making a staged page's file and writing it leaves it empty; one
    killed while copying a page aside (no hard links) leaves the copy cut short: neither stops
    the next build, which replaces them and leaves neither behind."""
    content, out = built
    empty, cut = content / "dates" / ".2026-01-07.md.tmp", content / "dates" / ".2026-01-07.md.digest-old"
    empty.write_bytes(b"")
    cut.write_bytes((content / "dates" / "2026-01-07.md").read_bytes()[:100])
    for snapshot in (content / "snapshots").iterdir():  # every day's page changes
        snapshot.write_text(snapshot.read_text(encoding="utf-8").replace("We ", "We now ", 1), encoding="utf-8")
    for command in ("check", "build"):
        result = run_cli(command, "--content", content, *(["--out", out] if command == "build" else []))
        assert result.returncode == 0, result.stderr
    assert not empty.exists() and not cut.exists()
    assert "We now" in (content / "dates" / "2026-01-07.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [".2026-01-07.md.tmp", ".2026-01-07.md.digest-old"])
def test_what_the_user_has_where_digest_stages_a_page_is_listed_by_check_and_kept_by_build(built, name):
    """digest writes a page through .NAME.md.tmp and keeps the old one as .NAME.md.digest-old:
    a folder of the user's there is in the way, said by check before the build meets it."""
    content, out = built
    mine = content / "dates" / name
    (mine / "notes").mkdir(parents=True)
    (mine / "notes" / "a.txt").write_text("mine")
    for snapshot in (content / "snapshots").iterdir():  # every day's page changes
        snapshot.write_text(snapshot.read_text(encoding="utf-8").replace("We ", "We now ", 1), encoding="utf-8")
    for command in ("check", "build"):
        result = run_cli(command, "--content", content, *(["--out", out] if command == "build" else []))
        assert result.returncode == 1 and f"{name}: in the way of 2026-01-07.md" in result.stderr, result.stderr
        assert (mine / "notes" / "a.txt").read_text() == "mine"


def test_an_unexpected_error_is_one_line_that_says_it_is_a_bug(tmp_path, monkeypatch, capsys):
    """Bad input is a DigestError; anything else is a bug, told in one line (the traceback on request)."""
    import digest.cli as cli

    def broken(args):
        raise RecursionError("maximum recursion depth exceeded\nwhile doing something")

    parser = cli.make_parser()
    monkeypatch.setattr(cli, "make_parser", lambda: parser)
    for action in parser._subparsers._group_actions[0].choices.values():
        action.set_defaults(func=broken)
    monkeypatch.delenv("DIGEST_TRACEBACK", raising=False)
    assert cli.main(["check", "--content", str(tmp_path)]) == 70
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "internal error (RecursionError: maximum recursion depth exceeded while doing something)" in lines[0]
    for off in ("0", "", " "):  # DIGEST_TRACEBACK=0 turned tracebacks on
        monkeypatch.setenv("DIGEST_TRACEBACK", off)
        assert cli.main(["check", "--content", str(tmp_path)]) == 70
    monkeypatch.setenv("DIGEST_TRACEBACK", "1")
    with pytest.raises(RecursionError):
        cli.main(["check", "--content", str(tmp_path)])


# --- standard output and error that are not what a terminal gives -------------------------------

def _digest(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digest", *map(str, args)], timeout=120, **kwargs)


def test_a_full_disk_behind_standard_output_is_one_line_on_standard_error():
    with open("/dev/full", "w") as full:
        result = _digest("parse", CONTENT / "snapshots" / "2026-01-19.txt", stdout=full, stderr=subprocess.PIPE,
                         text=True)
    assert result.returncode == 1
    assert result.stderr == "digest: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize("command", ["build", "add", "email"])
def test_standard_output_that_fails_once_the_work_is_done_is_a_warning_naming_it(tmp_path, command):
    """Written once the new site is live (the snapshot stored, the files written), the report
    that failed made an error, exit 1, which read as a failed build (that leaves the site as it
    was), and a script would do the work again."""
    content = copy_content(tmp_path / "content")
    held = content / "snapshots" / "2026-01-19.txt"
    held.rename(tmp_path / held.name)
    argv, done = {
        "build": (("build", "--out", tmp_path / "site", "--no-search"), f"the site is built: {tmp_path / 'site'} holds it"),
        "add": (("add", tmp_path / held.name), f"the snapshot is stored: {held}"),
        "email": (("email", "--out", tmp_path / "mail"), f"the e-mail's files are written into {tmp_path / 'mail'}"),
    }[command]
    with open("/dev/full", "w") as full:
        result = _digest(*argv, "--content", content, stdout=full, stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stderr) == (
        0, f"digest: warning: cannot write to standard output: No space left on device; {done}\n")
    assert (tmp_path / "site" / "index.html").is_file() or held.is_file() or (tmp_path / "mail").is_dir()
    # A reader that stops reading (a closed pipe) is no failure of the work either.
    again = subprocess.Popen([sys.executable, "-m", "digest", *map(str, argv), "--content", str(content)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    again.stdout.close()
    assert again.wait(120) == 0 and again.stderr.read() == b""


def test_a_build_whose_report_and_progress_cannot_be_written_at_all_is_still_a_build(tmp_path):
    """Standard output and error on one full disk (a cron job's '>>log 2>&1'), or a reader of
    '-v' that stops reading: the work went on, or was done, and exited 1 all the same."""
    content = copy_content(tmp_path / "content")
    with open("/dev/full", "w") as full:
        result = _digest("build", "--content", content, "--out", tmp_path / "site", "--no-search", stdout=full,
                         stderr=full)
    assert result.returncode == 0 and (tmp_path / "site" / "index.html").is_file()
    (content / "snapshots" / "2026-01-19.txt").unlink()
    verbose = subprocess.Popen([sys.executable, "-m", "digest", "build", "--content", str(content), "--out",
                                str(tmp_path / "site"), "--no-search", "-v"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    verbose.stderr.close()  # the reader is gone before the first stage ends
    assert verbose.wait(120) == 0
    assert "2026-01-19" not in (tmp_path / "site" / "archive" / "index.html").read_text()
    again = _digest("build", "--content", content, "--out", tmp_path / "site", "--no-search", capture_output=True,
                    text=True)
    assert again.stdout.startswith("digest: nothing changed"), again.stdout  # the cache was saved too


def test_a_closed_standard_output_or_error_takes_the_output_nowhere(tmp_path):
    content = copy_content(tmp_path / "content")
    for fd in (1, 2):
        result = _digest("build", "--content", content, "--out", tmp_path / f"site{fd}", "--no-search",
                         preexec_fn=lambda fd=fd: os.close(fd), stdout=subprocess.DEVNULL if fd == 2 else None,
                         stderr=subprocess.PIPE if fd == 1 else None)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / f"site{fd}" / "index.html").is_file()



@pytest.mark.parametrize("argv", [["parse", CONTENT / "snapshots" / "2026-01-19.txt", "--json"],
                                  ["topics", "--content", CONTENT]])
def test_a_command_whose_output_is_all_it_does_refuses_a_closed_standard_output(argv):
    """With >&- the output went nowhere and the command said it had succeeded."""
    result = _digest(*argv, preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    assert result.stderr == "digest: error: cannot write to standard output: it is closed\n"

def test_an_ascii_only_standard_output_gets_escapes_not_an_error(tmp_path):
    result = _digest("parse", CONTENT / "snapshots" / "2026-01-19.txt", capture_output=True,
                     env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert b"M\\xe9lange" in result.stdout


def test_more_jobs_than_cores_are_as_many_as_cores(tmp_path):
    """-j is capped at the cores: a huge number would otherwise fork a process per page."""
    result = run_cli("build", "--content", copy_content(tmp_path / "content"), "--out", tmp_path / "site", "--no-search",
                     "-j", "100000",
                     timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    result = run_cli("build", "--content", CONTENT, "--out", tmp_path / "site", "-j", "\u0663")  # an Arabic 3
    assert result.returncode == 2 and "not a whole number of 1 or more" in result.stderr


def test_terminal_controls_from_a_snapshot_reach_the_terminal_as_escapes(tmp_path):
    """An error quotes the card's title as the file has it: an escape sequence in it must not
    clear the screen or retitle the window."""
    content = copy_content(tmp_path / "content")
    (content / "snapshots" / "2026-01-21.txt").write_bytes(
        b"Daily Papers\n\nJan 21\n\nT\x1b[2J\x1b]0;owned\x07\x08 \xe2\x80\xae title\n")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site")
    assert result.returncode == 1
    assert "card 'T\\x1b[2J\\x1b]0;owned\\x07\\x08 \\u202e title' has a title but no abstract" in result.stderr
    assert not any(c in result.stderr for c in "\x1b\x07\x08\u202e")


def test_ctrl_c_while_digest_is_still_loading_is_one_line(tmp_path, content_copy):
    """An interrupt during the first tenths of a second, while the modules load, is no traceback."""
    import signal

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for delay in (0.05, 0.08, 0.11, 0.14, 0.17, 0.2, 0.25):
        process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--content", str(content_copy),
                                    "--out", str(tmp_path / "site"), "--no-search"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        error = process.communicate(timeout=60)[1]
        if error.startswith("Could not import runpy module\n"):
            continue  # Python's own start (on a busy machine it takes longer), before it runs any of digest
        assert "Traceback" not in error, (delay, error)
        # Before Python set up its handler, the signal ends the process as any program's.
        assert process.returncode in (130, -signal.SIGINT) or (process.returncode == 0 and not error), (delay, error)
        if process.returncode == 130:
            assert error.splitlines()[-1] == "digest: interrupted", (delay, error)


def test_ctrl_c_while_a_class_is_made_is_an_interrupt_not_an_internal_error(monkeypatch, capsys, content_copy):
    """Python wraps an interrupt in __set_name__ (a dataclass being made while modules load) in a RuntimeError."""
    import digest.cli

    def interrupted(args):
        raise RuntimeError("Error calling __set_name__") from KeyboardInterrupt()

    monkeypatch.setattr(digest.cli, "cmd_check", interrupted)
    assert digest.cli.main(["check", "--content", str(content_copy)]) == 130
    assert capsys.readouterr().err == "digest: interrupted\n"


@pytest.mark.parametrize("argv, message", [
    (["build", "x\ny"], "unrecognized arguments: x\\ny (see 'digest build --help')"),
    (["email", "foo\u2028bar"], "argument DATE: not a date in YYYY-MM-DD form, nor 'latest': 'foo\\u2028bar'"),
    (["send", "foo\rbar", "--dry-run", "--to", "a@example.net"],
     "argument DATE: not a date in YYYY-MM-DD form, nor 'latest': 'foo\\rbar'"),
])
def test_a_line_break_given_on_the_command_line_stays_in_its_one_line_error(content_copy, argv, message):
    result = run_cli(*argv, "--content", content_copy) if argv[0] != "build" else run_cli(*argv)
    assert result.returncode in (1, 2)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"digest: error: {message}"), result.stderr


@pytest.mark.parametrize("command", ["build", "check", "add"])
def test_a_name_too_long_for_the_file_system_is_a_one_line_error(tmp_path, command):
    long_name = str(tmp_path / ("a" * 300))
    extra = [str(CONTENT / "snapshots" / "2026-01-19.txt")] if command == "add" else []
    result = run_cli(command, "--content", long_name, *extra)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"digest: error: {long_name}")
    assert result.stderr.endswith(": File name too long\n"), result.stderr


def test_a_snapshot_linked_to_a_name_too_long_is_a_one_line_error_naming_it(content_copy, tmp_path):
    link = content_copy / "snapshots" / "2026-02-01.txt"
    link.symlink_to(tmp_path / ("a" * 300))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 1
    assert result.stderr == f"digest: error: {link}: File name too long\n"


@pytest.mark.parametrize("command", [["email"], ["send", "--dry-run", "--to", "a@example.net"]])
def test_a_day_that_is_no_date_is_a_bad_command_line(content_copy, command):
    result = run_cli(command[0], "19-01-2026", *command[1:], "--content", content_copy)
    assert result.returncode == 2
    assert result.stderr.startswith("digest: error: argument DATE: not a date in YYYY-MM-DD form, nor 'latest': "
                                    "'19-01-2026'"), result.stderr
    result = run_cli(command[0], "2026-01-18", *command[1:], "--content", content_copy)
    assert result.returncode == 1 and "no list day 2026-01-18" in result.stderr  # a date, but not a list day
    # The days there are, the latest first.
    assert "(latest days: 2026-01-19, 2026-01-07, 2025-12-16, 2025-11-03)" in result.stderr, result.stderr


def test_two_cards_of_a_day_taken_for_one_paper_are_a_warning_of_build_check_and_parse(tmp_path, content_copy):
    snapshot = content_copy / "snapshots" / "2026-01-21.txt"
    snapshot.write_text("Daily Papers\n\nJan 21\n\nSame Title!\n\nabs one\n\nSAME TITLE\n\nabs two\n")
    warning = (f"digest: warning: {snapshot}:9: the card 'SAME TITLE' is taken for the same paper as the card at "
               f"line 5, 'Same Title!' (their titles differ only in case, accents or punctuation), and shown with "
               f"that card's text")
    for command in (("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search"),
                    ("check", "--content", content_copy), ("parse", snapshot)):
        result = run_cli(*command)
        assert result.returncode == 0 and warning in result.stderr.splitlines(), (command, result.stderr)
    shutil.copyfile(snapshot, tmp_path / "saved.txt")
    result = run_cli("add", tmp_path / "saved.txt", "--date", "2026-01-21", "--content", content_copy)
    assert result.returncode == 0 and result.stderr.splitlines() == [
        warning.replace(str(snapshot), str(tmp_path / "saved.txt"))], result.stderr
    again = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search", "--strict")
    assert again.returncode == 1 and again.stderr.splitlines() == [
        warning, "digest: error: --strict: 1 warning, so nothing was written"], again.stderr


@pytest.mark.parametrize("argv, command", [
    (["-v", "build", "--no-search"], "build"),
    (["--content", "my content", "check"], "check"),
    (["--port", "8001", "serve"], "serve"),  # an option of the command's own, not of build
    (["--out", "build", "-v", "build"], "build"),  # the first "build" is a value
])
def test_a_command_written_after_options_is_told_to_come_first(argv, command):
    result = run_cli(*argv)
    assert result.returncode == 2
    assert result.stderr == (f"digest: error: {command!r} is a command: write it first, then its options "
                             f"(see 'digest {command} -h')\n")


@pytest.mark.parametrize("argv", [["-v", "-h"], ["--out", "x", "--help"], ["-vh"], ["-v", "--he"]])
def test_help_after_options_is_printed_once(argv):
    result = run_cli(*argv)
    assert result.returncode == 0 and result.stdout.count("usage:") == 1, result.stdout


@pytest.mark.parametrize("argv, command", [(["-v", "build", "-h"], "build"),
                                           (["--port", "8001", "serve", "-h"], "serve")])
def test_help_asked_of_a_command_written_after_options_points_at_its_own_help(argv, command):
    result = run_cli(*argv)
    assert result.returncode == 2 and f"(see 'digest {command} -h')" in result.stderr, result.stderr


@pytest.mark.parametrize("argv, command, unknown", [
    (["build", "--contnet", "x"], "build", "--contnet x"), (["--contnet", "x"], "build", "--contnet x"),
    (["check", "--stirct"], "check", "--stirct"), (["parse", "--jsn", "f.txt"], "parse", "--jsn"),
    (["build", "--", "x"], "build", "x"), (["build", "--bogus", "--", "x"], "build", "--bogus x"),
    (["topics", "--", "--"], "topics", "--"), (["topics", "--", "--", "--"], "topics", "-- --"),
    # Where an argument takes what follows the first '--', argparse takes that '--' away itself.
    (["email", "--", "2026-01-19", "--"], "email", "--"), (["email", "2026-01-19", "--", "--"], "email", "--"),
    (["email", "--", "latest", "--", "extra"], "email", "-- extra")])
    # The first '--' ends the options: it is no argument of its own, and a lone one is nothing to
    # tell; any later one is an argument.
def test_an_unknown_option_of_a_command_points_at_that_commands_help(argv, command, unknown, tmp_path):
    """'digest --help' lists the commands, not their options."""
    result = run_cli(*argv, cwd=tmp_path)  # where a command that ran anyway would write
    assert (result.returncode, result.stderr) == (
        2, f"digest: error: unrecognized arguments: {unknown} (see 'digest {command} --help')\n")


def test_a_lone_double_dash_after_the_options_is_no_error(tmp_path):
    """A wrapper's 'digest build ... -- "$@"' with no arguments."""
    content = copy_content(tmp_path / "content")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search", "-q", "--")
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_a_folder_named_like_a_command_is_still_an_options_value(tmp_path):
    # "build" here is --content's value, not the command: the default command runs, on that folder.
    result = run_cli("--content", "build", "-q", cwd=tmp_path)
    assert result.returncode == 1 and "is a command" not in result.stderr, result.stderr


def test_a_card_published_after_its_list_day_is_a_warning_of_parse_check_and_build(tmp_path, content_copy):
    snapshot = content_copy / "snapshots" / "2026-01-20.json"
    snapshot.write_text(json.dumps([{"paper": {
        "id": "2601.00001", "title": "From the future", "summary": "An abstract.",
        "publishedAt": "2027-03-10T00:00:00.000Z", "submittedOnDailyAt": "2026-01-20T08:00:00.000Z"}}]))
    warning = (f"digest: warning: {snapshot}:1: card 'From the future' is dated 2027-03-10, after its list day "
               f"2026-01-20 (a paper is listed after it is published): is a year wrong?")
    for command in (("parse", snapshot), ("check", "--content", content_copy),
                    ("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")):
        result = run_cli(*command)
        assert result.returncode == 0 and warning in result.stderr.splitlines(), (command, result.stderr)
    strict = run_cli("check", "--content", content_copy, "--strict")
    assert strict.returncode == 1 and warning in strict.stderr.splitlines(), strict.stderr
    # A day's build, which does not read the snapshots of earlier days again, still tells it.
    (content_copy / "snapshots" / "2026-01-21.txt").write_text("Daily Papers\n\nJan 21\n\nA title\n\nAn abstract.\n")
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0 and warning in result.stderr.splitlines(), result.stderr


@pytest.mark.parametrize("argv", [["build", "-q", "-v"], ["-v", "--quiet"]])
def test_quiet_and_verbose_together_are_refused(argv, tmp_path):
    result = run_cli(*argv, "--content", CONTENT, "--out", tmp_path / "site")
    assert result.returncode == 2 and not (tmp_path / "site").exists()
    assert result.stderr.startswith("digest: error: argument ") and "not allowed with argument" in result.stderr


@pytest.mark.parametrize("argv, message", [
    (["parse", str(CONTENT / "snapshots" / "2026-01-19.txt"), "--date", "2026-02-29"],
     "argument --date: no such day: '2026-02-29'"),
    (["parse", str(CONTENT / "snapshots" / "2026-01-19.txt"), "--date", "20260119"],
     "argument --date: not a date in YYYY-MM-DD form: '20260119'"),
    (["email", "2026-W03-1"], "argument DATE: not a date in YYYY-MM-DD form, nor 'latest': '2026-W03-1'"),
    (["email", "2026-13-01"], "argument DATE: no such day: '2026-13-01'"),
])
def test_a_date_on_the_command_line_is_written_yyyy_mm_dd_and_is_a_day_of_the_calendar(argv, message):
    """Python reads "20260119" and "2026-W03-1" as dates too; "2026-02-29" is written right but no day."""
    result = run_cli(*argv)
    assert result.returncode == 2 and result.stderr.startswith(f"digest: error: {message} (see "), result.stderr



@pytest.mark.parametrize("command", [["build"], ["check"], ["topics"], ["email"], ["serve"],
                                     ["send", "--to", "a@example.org", "--dry-run"]])
def test_a_content_folder_that_is_not_there_is_one_line_saying_so(tmp_path, command):
    """Each file it should hold was told missing, one line each."""
    missing = tmp_path / "contnet"
    result = run_cli(*command, "--content", missing, cwd=tmp_path)
    assert result.returncode == 1 and not list(tmp_path.iterdir())
    assert result.stderr == (f"digest: error: {missing}: no such content folder: give --content the folder that "
                             f"holds site.yaml and snapshots/\n")
    missing.write_text("a file")
    result = run_cli(*command, "--content", missing, cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == (f"digest: error: {missing}: not a folder: give --content the "
                                                        f"folder that holds site.yaml and snapshots/\n")


def test_a_templates_folder_that_is_not_there_is_told_as_such(content_copy, tmp_path):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "empty").mkdir()
    for templates, problem in ((tmp_path / "nosuch", "no such templates folder"), (tmp_path / "a-file", "not a folder"),
                               (tmp_path / "empty", "not a templates folder (no base.html)")):
        for command in (["build", "--out", tmp_path / "site"], ["check"]):
            result = run_cli(*command, "--content", content_copy, "--templates", templates)
            assert result.returncode == 1 and (f"digest: error: {templates}: {problem}: give --templates a folder that "
                                               f"holds base.html, or leave it out for digest's own\n") in result.stderr, \
                result.stderr


@pytest.mark.parametrize("target, problem", [("nowhere/base.html", "a link to '{templates}/nowhere/base.html', "
                                                                    "which is not there"),
                                             ("base.html", "a link in a loop of links"),
                                             ("assets", "not a file"), (None, "not a file")])
def test_a_base_template_that_is_a_link_to_nothing_is_told_as_such(content_copy, tmp_path, target, problem):
    """Not as a folder with no base.html, which sends the user looking for a file that is there."""
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    (templates / "base.html").unlink()
    if target is None:
        (templates / "base.html").mkdir()
    else:
        (templates / "base.html").symlink_to(target)
    for command in (["build", "--out", tmp_path / "site"], ["check"]):
        result = run_cli(*command, "--content", content_copy, "--templates", templates)
        assert (result.returncode, result.stderr) == (1, f"digest: error: {templates}/base.html: template error: "
                                                         f"'base.html' is {problem.format(templates=templates)}\n")


@pytest.mark.parametrize("argv", [["build", "--out", ""], ["build", "--content", " "], ["check", "--templates", ""],
                                  ["email", "latest", "--out", ""], ["serve", "--out", ""]])
def test_an_empty_folder_option_is_refused_not_taken_for_the_current_folder(argv, tmp_path):
    """``--out "$SITE"`` with the variable unset built into the current folder, or tried to."""
    result = run_cli(*argv, cwd=tmp_path)
    assert result.returncode == 2 and "empty: give a folder (. for the current one)" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_email_out_that_is_a_file_is_told_it_is_no_folder(tmp_path, content_copy):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    result = run_cli("email", "latest", "--content", content_copy, "--out", target)
    assert result.returncode == 1 and result.stderr == (
        f"digest: error: {target}: not a folder: give --out a folder to write the e-mail's files into\n")
    assert target.read_text() == "mine"
