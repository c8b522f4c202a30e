"""The model kept between builds (digest.archive): a day's build extends it, and gives the same
bytes as a clean build whatever happened to the content in between."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import CONTENT, FIXTURES, run_cli, synthetic_corpus, tree
from digest.build import build
from digest.lazy import Overlay, StoredMapping

TODAY = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """45 synthetic days, with small feeds and topic pages so that they show few papers."""
    folder = synthetic_corpus(tmp_path_factory.mktemp("corpus") / "content", 45)
    settings = yaml.safe_load((folder / "site.yaml").read_text())
    settings.update(feed_items=3, topic_feed_items=5, topic_page_size=10)
    (folder / "site.yaml").write_text(yaml.safe_dump(settings))
    return folder


def content_with(corpus: Path, folder: Path, days: int) -> Path:
    """A content folder with the configuration and the first ``days`` snapshots of the corpus."""
    (folder / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(corpus / name, folder / name)
    for path in sorted((corpus / "snapshots").iterdir())[:days]:
        shutil.copyfile(path, folder / "snapshots" / path.name)
    return folder


def add_days(corpus: Path, content: Path, days: int) -> list[Path]:
    """Add the next ``days`` days of the corpus after the content's last."""
    last = max(p.name for p in (content / "snapshots").iterdir())
    new = [p for p in sorted((corpus / "snapshots").iterdir()) if p.name > last][:days]
    for path in new:
        shutil.copyfile(path, content / "snapshots" / path.name)
    return [content / "snapshots" / path.name for path in new]


def markdown(content: Path) -> dict[str, str]:
    return {path: digest for path, digest in tree(content).items() if path.endswith(".md")}


def assert_as_clean(content: Path, out: Path, tmp: Path, **options) -> None:
    """The site and Markdown pages are what a build from nothing makes of the same content."""
    clean = tmp / f"clean-{len(list(tmp.iterdir()))}"
    (clean / "content").mkdir(parents=True)
    shutil.copytree(content / "snapshots", clean / "content" / "snapshots")
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(content / name, clean / "content" / name)
    build(clean / "content", clean / "site", today=TODAY, cached=False, **options)
    assert tree(out) == tree(clean / "site")
    assert markdown(content) == markdown(clean / "content")


def extended(result) -> bool:
    """Whether the build extended the last build's model (rather than making it from every snapshot)."""
    return isinstance(result.site.model.library.papers, Overlay)


def test_a_new_day_extends_the_model_and_leaves_most_papers_pickled(corpus, tmp_path):
    content = content_with(corpus, tmp_path / "content", 44)
    out = tmp_path / "site"
    first = build(content, out, today=TODAY)
    assert not extended(first)
    add_days(corpus, content, 1)
    result = build(content, out, today=TODAY)
    assert extended(result)
    papers = result.site.model.library.papers
    assert isinstance(papers.base, StoredMapping)
    unpickled = len(papers.base._values)
    assert unpickled < len(papers) / 3, f"{unpickled} of {len(papers)} papers were read again"
    # What was made: the new day and the one before it, their papers, the topics' newest pages.
    made = sorted(p for p, placed in result.site.files.items() if placed.made and p.startswith("dates/"))
    assert made == [f"dates/{day}/index.html" for day in sorted(p.stem for p in (content / "snapshots").iterdir())[-2:]]
    assert_as_clean(content, out, tmp_path)


def test_day_after_day_the_site_is_what_a_clean_build_makes(corpus, tmp_path):
    """Days added one or two at a time, over a month's end, with search; then two snapshots of
    one day in two formats (an API snapshot of the same list)."""
    content = content_with(corpus, tmp_path / "content", 25)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    for count in (1, 2, 1, 3):
        add_days(corpus, content, count)
        result = build(content, out, today=TODAY)
        assert extended(result)
        assert_as_clean(content, out, tmp_path)
    # The next day as a text dump and as the API's JSON of the same list (ids for its papers).
    nxt = add_days(corpus, content, 1)[0]
    api = [{"paper": {"id": f"2601.{n:05d}", "title": title, "summary": "An abstract from the API.",
                      "upvotes": n, "authors": []}, "title": title, "numComments": 0}
           for n, title in enumerate(line for line in nxt.read_text().splitlines()[16:40:8] if line)]
    (content / "snapshots" / f"{nxt.stem}-api.json").write_text(json.dumps(api))
    build(content, out, today=TODAY)
    assert_as_clean(content, out, tmp_path)


@pytest.mark.parametrize("change", ["edit an old snapshot", "remove a snapshot", "insert an earlier day",
                                    "give an id to an earlier title", "edit the topics", "edit the site settings"])
def test_a_change_that_is_not_a_new_day_makes_the_model_again(corpus, tmp_path, change):
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    snapshots = sorted((content / "snapshots").iterdir())
    held = snapshots[10]
    held_text = held.read_text()
    held.unlink()
    build(content, out, today=TODAY)
    if change == "edit an old snapshot":
        snapshots[3].write_text(snapshots[3].read_text().replace("Paper ", "Article ", 3))
    elif change == "remove a snapshot":
        snapshots[5].unlink()
    elif change == "insert an earlier day":
        held.write_text(held_text)
    elif change == "give an id to an earlier title":
        title = next(line for line in snapshots[2].read_text().splitlines() if line.startswith("Paper "))
        nxt = add_days(corpus, content, 1)[0]
        api = [{"paper": {"id": "2601.00001", "title": title, "summary": "Its abstract.", "upvotes": 3,
                          "authors": []}, "title": title, "numComments": 1}]
        (content / "snapshots" / f"{nxt.stem}-api.json").write_text(json.dumps(api))
    elif change == "edit the topics":
        topics = content / "topics.yaml"
        topics.write_text(topics.read_text().replace("phrase: serving", "phrase: served"))
    else:
        site = content / "site.yaml"
        site.write_text(site.read_text().replace("topic_page_size: 10", "topic_page_size: 7"))
    if change not in ("give an id to an earlier title",):
        add_days(corpus, content, 1)
    result = build(content, out, today=TODAY)
    assert not extended(result)
    assert_as_clean(content, out, tmp_path)
    add_days(corpus, content, 1)  # and the next day extends again
    assert extended(build(content, out, today=TODAY))
    assert_as_clean(content, out, tmp_path)


def test_a_kept_output_that_was_deleted_or_edited_is_made_again(corpus, tmp_path):
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    old_day = sorted(p.stem for p in (content / "snapshots").iterdir())[3]
    paper = sorted((out / "papers").iterdir())[0]
    shutil.rmtree(paper)
    (out / "email" / f"{old_day}.eml").unlink()
    page = content / "dates" / f"{old_day}.md"
    page.write_text(page.read_text().replace("# Trending papers", "# Edited by hand: trending papers"))
    add_days(corpus, content, 1)
    result = build(content, out, today=TODAY)
    assert extended(result)
    assert (paper / "index.html").is_file()
    assert_as_clean(content, out, tmp_path)


def test_a_template_edit_after_a_new_day_remakes_what_uses_it(corpus, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates", templates)
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, templates_dir=templates, today=TODAY)
    add_days(corpus, content, 1)
    base = templates / "base.html"
    base.write_text(base.read_text().replace("Data from saved snapshots", "Data from snapshots saved"))
    result = build(content, out, templates_dir=templates, today=TODAY)
    assert extended(result)
    assert all("Data from snapshots saved" in (out / p).read_text() for p in result.site.files
               if p.endswith("index.html"))
    clean = tmp_path / "clean"
    shutil.copytree(content, clean / "content", ignore=shutil.ignore_patterns("dates", "topics"))
    build(clean / "content", clean / "site", templates_dir=templates, today=TODAY, cached=False)
    assert tree(out) == tree(clean / "site")


def test_a_saved_model_that_cannot_be_read_only_costs_time(corpus, tmp_path):
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    (tmp_path / ".site.cache" / "model.pickle").write_bytes(b"not a pickle")
    add_days(corpus, content, 1)
    result = build(content, out, today=TODAY)
    assert not extended(result)
    assert_as_clean(content, out, tmp_path)
    assert FIXTURES.is_dir()


def test_a_paper_back_with_new_details_remakes_every_day_that_lists_it(corpus, tmp_path):
    """A paper seen on an early day returns with another organization: its listing changes on
    the days it was on and in the lists of papers dropped the day after."""
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    early = sorted((content / "snapshots").iterdir())[4].read_text()
    blocks = early.split("\n\n")
    # A card is its title, its abstract and its meta lines ("  • 12 authors", "·", the date).
    at = next(i for i, block in enumerate(blocks) if "authors\n·\n" in block)
    title, abstract = blocks[at - 2], blocks[at - 1]
    nxt = add_days(corpus, content, 1)[0]
    nxt.write_text(nxt.read_text().rstrip("\n") + f"\n\n{title}\n\n{abstract}\n\nnvidia NVIDIA\n·\nJan 2, 2020\n")
    result = build(content, out, today=TODAY)
    assert extended(result)
    on = [day for day in result.site.days if any(item.title == title for item in (*day.items, *day.dropped))]
    whos = {(day.date, item.who) for day in on for item in (*day.items, *day.dropped) if item.title == title}
    assert len(on) >= 3 and {who for _, who in whos} == {"NVIDIA"}, whos
    assert_as_clean(content, out, tmp_path)


def test_a_renamed_paper_is_renamed_on_the_day_it_was_dropped_from(tmp_path):
    """An arXiv paper seen on Dec 16 only, dropped from the list of Jan 7, comes back on a new day
    under a new title: the list of papers dropped on Jan 7 shows the new title."""
    content = tmp_path / "content"
    (content / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)
    for path in (CONTENT / "snapshots").iterdir():
        shutil.copyfile(path, content / "snapshots" / path.name)
    shutil.copyfile(FIXTURES / "html" / "2025-12-16-hydration.html", content / "snapshots" / "2025-12-16-saved.html")
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    assert "Predictable Scale" in (out / "dates" / "2026-01-07" / "index.html").read_text()
    renamed = {"paper": {"id": "2503.04715", "title": "Predictable Scale, Revised", "summary": "A new abstract.",
                         "upvotes": 9, "authors": []}, "title": "Predictable Scale, Revised", "numComments": 2}
    (content / "snapshots" / "2026-01-20.json").write_text(json.dumps([renamed]))
    result = build(content, out, today=TODAY)
    assert extended(result)
    assert "Predictable Scale, Revised" in (out / "dates" / "2026-01-07" / "index.html").read_text()
    assert_as_clean(content, out, tmp_path)


def test_hand_changes_to_the_live_site_never_come_back(corpus, tmp_path):
    """A file deleted, one replaced and one added by hand in the site: the next builds, which
    make the site in the folder of the one before it, put digest's files back and no other."""
    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    add_days(corpus, content, 1)
    build(content, out, today=TODAY)
    papers = sorted(p for p in (out / "papers").iterdir())
    (papers[0] / "index.html").unlink()
    replaced = papers[1] / "index.html"
    replaced.unlink()
    replaced.write_text("replaced by hand")
    (out / "CNAME").write_text("digest.example.org")
    for _ in range(3):
        add_days(corpus, content, 1)
        build(content, out, today=TODAY)
        assert_as_clean(content, out, tmp_path)


def test_a_new_day_reads_only_its_own_snapshot(corpus, tmp_path, monkeypatch):
    """Snapshots whose size and modification time are the ones recorded are not read again;
    one edited since is."""
    import digest.inputs

    content = content_with(corpus, tmp_path / "content", 30)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    read: list[str] = []
    original = digest.inputs.read_snapshot_bytes
    monkeypatch.setattr(digest.inputs, "read_snapshot_bytes",
                        lambda path, source: read.append(Path(source).name) or original(path, source))
    new = add_days(corpus, content, 1)[0]
    build(content, out, today=TODAY)
    assert read == [new.name]
    read.clear()
    edited = sorted((content / "snapshots").iterdir())[2]
    edited.write_text(edited.read_text().replace("Paper ", "Article ", 1))
    build(content, out, today=TODAY)
    assert edited.name in read
    assert_as_clean(content, out, tmp_path)


def test_a_day_matches_only_its_new_papers_and_a_later_full_model_matches_none(corpus, tmp_path, monkeypatch):
    """A day's build matches its new papers to topics without reading the matches of earlier
    papers, and adds them to the cache beside the others instead of rewriting them all; a
    later build that makes the whole model again finds every paper's matches there."""
    import digest.build

    content = content_with(corpus, tmp_path / "content", 20)
    out = tmp_path / "site"
    build(content, out, today=TODAY)
    cache = tmp_path / ".site.cache"
    base = (cache / "topics.pickle").stat()
    matched: list[str] = []
    original = digest.build.match_topics
    monkeypatch.setattr(digest.build, "match_topics",
                        lambda title, *rest: matched.append(title) or original(title, *rest))
    for _ in range(2):
        new = add_days(corpus, content, 1)[0]
        build(content, out, today=TODAY, jobs=1)
    assert matched and len(matched) <= 2 * 50  # the new days' papers, not the archive's
    assert (cache / "topics.pickle").stat().st_mtime_ns == base.st_mtime_ns  # not rewritten
    assert (cache / "topics-new.pickle").is_file()
    matched.clear()
    new.write_text(new.read_text() + "\n")  # an edited snapshot: the whole model again
    build(content, out, today=TODAY, jobs=1)
    assert matched == []  # every paper's matches were in the cache
    assert not (cache / "topics-new.pickle").exists()
    assert_as_clean(content, out, tmp_path)


def test_a_days_build_gives_the_warnings_of_the_snapshots_it_does_not_read_again(tmp_path):
    content = tmp_path / "content"
    (content / "snapshots").mkdir(parents=True)
    for name in ("site.yaml", "topics.yaml"):
        shutil.copyfile(CONTENT / name, content / name)

    def card(title: str, abstract: str) -> str:
        return f"{title}\n\n{abstract}\n\n  \u2022 3 authors\n\u00b7\nNov 28, 2024 2\n\n"

    (content / "snapshots" / "2026-01-10.txt").write_text(
        "Daily Papers\n\nJan 10\n\n" + card("Attention Is All You Need", "One.") + card("ATTENTION is all you need!",
                                                                                      "Two."))
    out = tmp_path / "site"
    first = run_cli("build", "--content", content, "--out", out, "--no-search")
    assert first.returncode == 0 and "is taken for the same paper" in first.stderr, first.stderr
    (content / "snapshots" / "2026-01-11.txt").write_text("Daily Papers\n\nJan 11\n\n" + card("Another", "Three."))
    day = run_cli("build", "--content", content, "--out", out, "--no-search")  # reads the new snapshot only
    clean = run_cli("build", "--content", content, "--out", out, "--no-search", "--clean")
    warnings = [line for line in first.stderr.splitlines() if line.startswith("digest: warning:")]
    for result in (day, clean):
        assert result.returncode == 0
        assert [line for line in result.stderr.splitlines() if line.startswith("digest: warning:")] == warnings
    for strict in (run_cli("build", "--content", content, "--out", out, "--no-search", "--strict"),
                   run_cli("build", "--content", content, "--out", out, "--no-search", "--strict", "--clean")):
        assert strict.returncode == 1 and "--strict: 1 warning" in strict.stderr, strict.stderr
