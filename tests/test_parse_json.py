"""The API JSON parser, and a site built from text and JSON snapshots of the same day."""

from __future__ import annotations

import json
import random
import shutil

import pytest
from bs4 import BeautifulSoup

from conftest import FIXTURES, run_cli
from digest.errors import SnapshotError
from digest.models import Organization, PartialDate
from digest.parse import parse_snapshot
from digest.parse.api import MAX_COUNT, looks_like_json, parse_json_snapshot

FIXTURE = FIXTURES / "json" / "2026-01-19.json"


@pytest.fixture(scope="module")
def parsed():
    return parse_json_snapshot(FIXTURE.read_text(), "2026-01-19.json")


def test_cards_carry_every_field_the_api_gives(parsed):
    assert parsed.format == "json"
    assert [c.rank for c in parsed.cards] == [1, 2, 3]
    puzzle, wan, only = parsed.cards
    assert puzzle.title == "Puzzle: Distillation-Based NAS for Inference-Optimized LLMs"
    assert puzzle.arxiv_id == "2411.19146" and puzzle.url == "https://huggingface.co/papers/2411.19146"
    assert puzzle.upvotes == 18 and puzzle.comments == 2
    assert puzzle.authors == 3 and puzzle.author_names == ("Akhiad Bercovich", "Tomer Ronen", "Talor Abramovich")
    assert puzzle.published == PartialDate(11, 28, 2024)  # paper.publishedAt, not the shifted top-level one
    assert puzzle.organization is None
    assert puzzle.keywords == ("neural architecture search", "inference", "knowledge distillation")
    # The summary's line breaks are folded into spaces.
    assert "\n" not in puzzle.abstract and puzzle.abstract.startswith("Large language models (LLMs) have")
    assert wan.organization == Organization("Wan-AI", "Wan")
    assert wan.upvotes == 0 and wan.github == "https://github.com/Wan-Video/Wan2.1" and wan.github_stars == 14000
    assert wan.project_page == "https://wan.video"
    assert wan.thumbnail == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2503.20314.png"
    assert only.comments is None


def test_unsafe_urls_are_dropped(parsed):
    only = parsed.cards[2]
    assert only.github is None  # javascript: in the snapshot
    assert only.project_page is None  # data: in the snapshot



@pytest.mark.parametrize("url", [
    "https://example.org\\@evil.example/\\..\\x",  # browsers read "\\" as "/": a link elsewhere than it reads
    "https://huggingface.co@evil.example/papers",  # a user name that looks like the host
    "https://user:pass@example.org/",
    "https:///no-host", "https://example.org:99999/", "https://[::1/",
    "ftp://example.org/", "//evil.example/", "https://exa mple.org/",
])
def test_a_link_that_goes_elsewhere_than_it_reads_is_dropped(url):
    item = {"paper": {"id": "2601.00001", "title": "T", "summary": "An abstract.", "projectPage": url,
                      "githubRepo": url}, "thumbnail": url}
    card = parse_json_snapshot(json.dumps([item]), "x.json").cards[0]
    assert card.project_page is None and card.github is None and card.thumbnail is None


def test_only_a_github_repository_is_a_github_link():
    """The pages label the link "Code on GitHub"."""
    item = {"paper": {"id": "2601.00001", "title": "T", "summary": "An abstract.",
                      "githubRepo": "https://gitlab.example/a/b", "projectPage": "HTTPS://Example.org/a?b=1#c"}}
    card = parse_json_snapshot(json.dumps([item]), "x.json").cards[0]
    assert card.github is None and card.project_page == "HTTPS://Example.org/a?b=1#c"
    item["paper"]["githubRepo"] = "https://github.com/a/b"
    assert parse_json_snapshot(json.dumps([item]), "x.json").cards[0].github == "https://github.com/a/b"

def test_a_version_of_an_arxiv_id_names_its_paper():
    """2512.00001 and 2512.00001v2 are one paper: the same day lists it once, other days find it."""
    items = [{"paper": {"id": paper, "title": f"T {paper}"}} for paper in ("2512.00001v2", "hep-th/9901001v1",
                                                                          "solv-int/9901001")]
    cards = parse_json_snapshot(json.dumps(items), "x.json").cards
    assert [c.arxiv_id for c in cards] == ["2512.00001", "hep-th/9901001", "solv-int/9901001"]
    assert cards[0].url == "https://huggingface.co/papers/2512.00001"


@pytest.mark.parametrize("field, value, what", [
    ("organization", {"name": "org", "fullname": "O" * 1_001}, "an organization name of 1,001 characters"),
    ("authors", [{"name": "Ann"}, {"name": "A" * 5_000}], "an author name of 5,000 characters"),
    ("ai_keywords", ["k" * 1_001], "a keyword of 1,001 characters"),
    ("githubRepo", "https://github.com/a/" + "b" * 2_000, "a link of 2,021 characters"),
])
def test_a_name_or_link_longer_than_any_papers_is_refused_naming_its_card(field, value, what):
    """Every page, feed and e-mail that shows the card would be as large (an e-mail then failed
    without naming the snapshot)."""
    items = [{"paper": {"id": "2512.00001", "title": "A"}}, {"paper": {"id": "2512.00002", "title": "B", field: value}}]
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]", "x.json")
    assert str(caught.value) == (f"x.json:3: card 2, 'B', has {what} (digest takes up to "
                                 f"{'2,000' if 'link' in what else '1,000'})")



COUNT = "which is not a count (a whole number from 0 to 999,999,999)"
DATE = "which is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("where, field, value, what", [
    ("item", "numComments", "7", f'numComments "7", {COUNT}'),
    ("item", "numComments", 2.5, f"numComments 2.5, {COUNT}"),
    ("paper", "upvotes", [[1]], f"upvotes a list, {COUNT}"),
    ("paper", "upvotes", {"n": 1}, f"upvotes an object, {COUNT}"),
    ("item", "numComments", True, f"numComments true, {COUNT}"),
    ("paper", "upvotes", -1, f"upvotes -1, {COUNT}"),
    ("paper", "githubStars", 10 ** 30, f"githubStars {10 ** 30}, {COUNT}"),
    ("paper", "publishedAt", "2026-02-30", f'publishedAt "2026-02-30", {DATE}'),
    ("paper", "publishedAt", "2026-W03-1", f'publishedAt "2026-W03-1", {DATE}'),
    ("item", "publishedAt", "20260120", f'publishedAt "20260120", {DATE}'),
    ("item", "publishedAt", "2026-01-20 nonsense", f'publishedAt "2026-01-20 nonsense", {DATE}'),
    ("paper", "publishedAt", 1769904000, f"publishedAt 1769904000, {DATE}"),
    ("paper", "publishedAt", "\uff12\uff10\uff12\uff16-01-20", f'publishedAt "\uff12\uff10\uff12\uff16-01-20", {DATE}'),
    ("paper", "title", 5, "a title that is not text: 5"),
])
def test_a_value_that_is_not_what_its_field_holds_is_refused_naming_its_paper(where, field, value, what):
    """Read as "none", the count or date was left out of the site without a word."""
    bad = {"paper": {"id": "2512.00002", "title": "B"}}
    (bad["paper"] if where == "paper" else bad)[field] = value
    items = [{"paper": {"id": "2512.00001", "title": "A", "upvotes": 0, "publishedAt": "2026-01-19T08:00:00.000Z"},
              "numComments": 3}, bad]
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]", "x.json")
    named = "card 2" if field == "title" else "card 2, 'B',"  # by its title too, where it has one
    assert str(caught.value) == f"x.json:3: {named} has {what}"


def test_counts_and_dates_the_api_gives_are_read():
    item = {"paper": {"id": "2512.00001", "title": "A", "upvotes": MAX_COUNT, "githubStars": 0,
                      "publishedAt": "2024-11-28T15:41:49.000Z"}, "numComments": None}
    [card] = parse_snapshot(json.dumps([item]), "x.json").cards
    assert card.upvotes == MAX_COUNT and card.github_stars == 0 and card.comments is None
    assert card.published == PartialDate(11, 28, 2024)
    item["numComments"], item["paper"]["publishedAt"] = 2.0, "2024-11-28 15:41:49"  # whole, and with a space
    [card] = parse_snapshot(json.dumps([item]), "x.json").cards
    assert card.comments == 2 and type(card.comments) is int and card.published == PartialDate(11, 28, 2024)
    for written in ("2024-11-28T", "2024-11-28T15:41:49+01:00", "2024-11-28T15:41Z", "2024-11-28T15:41:49.123-0500"):
        item["paper"]["publishedAt"] = written
        [card] = parse_snapshot(json.dumps([item]), "x.json").cards
        assert card.published == PartialDate(11, 28, 2024), written


def test_a_value_nested_deep_in_a_field_is_refused_in_one_line():
    """Written out for the message, a list nested hundreds deep exceeded Python's recursion limit."""
    messages = []
    for depth in range(1000, 800, -3):  # from too deep to decode to the deepest that decodes
        text = '[{"paper": {"id": "2601.00001", "title": "X", "summary": "Y.", "upvotes": %s}}]' % (
            "[" * depth + "]" * depth)
        with pytest.raises(SnapshotError) as caught:
            parse_snapshot(text, "x.json")
        messages.append(str(caught.value))
        if "upvotes" in messages[-1]:
            break
    assert messages[0] == "x.json:1: invalid JSON: nested too deeply to be a list of papers"
    assert messages[-1] == f"x.json:1: card 1, 'X', has upvotes a list, {COUNT}"

@pytest.mark.parametrize("summary", ["\u200b", "\u200e\u3164", "\x00"])
def test_an_abstract_of_invisible_characters_only_is_refused_naming_its_card(summary):
    items = [{"paper": {"id": "2512.00001", "title": "A", "summary": "Seen."}},
             {"paper": {"id": "2512.00002", "title": "B", "summary": summary}}]
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]", "x.json")
    assert str(caught.value) == "x.json:3: card 2, 'B', has an abstract of invisible characters only"


def test_an_empty_abstract_is_a_paper_without_one():
    [card] = parse_snapshot(json.dumps([{"paper": {"id": "2512.00001", "title": "A", "summary": ""}}]), "x.json").cards
    assert card.abstract == ""


@pytest.mark.parametrize("paper", [{"authors": []}, {}, {"authors": None}])
def test_an_empty_list_of_authors_is_no_author_count_as_none_given_is(paper):
    item = {"paper": {"id": "2512.00001", "title": "A", "summary": "An abstract.", **paper}}
    [card] = parse_snapshot(json.dumps([item]), "x.json").cards
    assert (card.authors, card.author_names) == (None, None)


def test_list_day_comes_from_submitted_on_daily_at(parsed):
    assert parsed.list_day == PartialDate(1, 19, 2026)


def test_list_day_without_a_date_in_the_file_name(tmp_path):
    renamed = tmp_path / "api-capture.json"
    shutil.copyfile(FIXTURE, renamed)
    result = run_cli("parse", renamed, "--json")
    assert result.returncode == 0, result.stderr
    [snapshot] = json.loads(result.stdout)
    assert (snapshot["date"], snapshot["date_source"], snapshot["format"]) == ("2026-01-19", "content", "json")
    assert snapshot["papers"][1]["github"] == {"url": "https://github.com/Wan-Video/Wan2.1", "stars": 14000}
    assert snapshot["papers"][0]["author_names"] == ["Akhiad Bercovich", "Tomer Ronen", "Talor Abramovich"]


def test_detection_by_content_not_extension(tmp_path):
    disguised = tmp_path / "2026-01-19.txt"
    shutil.copyfile(FIXTURE, disguised)
    assert parse_snapshot(disguised.read_text(), str(disguised)).format == "json"
    assert looks_like_json('[{"paper": {}}]') and looks_like_json("[]") and looks_like_json('{"dailyPapers": []}')
    assert not looks_like_json("[Hugging Face](https://huggingface.co/)\n\nDaily Papers")
    assert not looks_like_json("new\n\nDaily Papers\n\nDec 16\n")


def test_saved_props_object_is_accepted():
    items = json.loads(FIXTURE.read_text())
    parsed = parse_json_snapshot(json.dumps({"dailyPapers": items}), "props.json")
    assert [c.arxiv_id for c in parsed.cards] == ["2411.19146", "2503.20314", "2601.01234"]


@pytest.mark.parametrize("text, line, message", [
    ('[\n  {"paper": {"id": "2411.19146", "title": "A"}},\n  {"paper": {"id": "2411.19147"', 3, "invalid JSON"),
    ('[\n  {"paper": {"id": "2411.19146", "title": "A"}},\n  {"paper": {"id": "2411.19147"}}\n]', 3, "card 2 has no title"),
    ('[\n  {"paper": {"id": "../../etc/passwd", "title": "A"}}\n]', 2, "not an arXiv id"),
    ('[\n  {"paper": {"id": "2601.00001\\n", "title": "A"}}\n]', 2, "not an arXiv id"),  # ends in a line break
    ('[\n  {"paper": {"id": "\uff12\uff15\uff11\uff12.00001", "title": "A"}}\n]', 2, "not an arXiv id"),  # fullwidth
    ('[\n  {"paper": {"id": "' + "a" * 250 + '/1234567", "title": "A"}}\n]', 2, "not an arXiv id"),  # a page name too long
    ('[\n  "just a string"\n]', 2, "not a JSON object"),
    ("[]", 1, "empty"),
    # A saved props object names its items' lines too; of two "dailyPapers", json keeps the last.
    ('{"dateString": "2025-12-16",\n "dailyPapers": [\n  {"paper": {"id": "2411.19146", "title": "A"}},\n'
     '  {"paper": {"id": "x!", "title": "B"}}\n]}', 4, "not an arXiv id"),
    ('{"dailyPapers": [{"paper": {"id": "x!", "title": "A"}}],\n "dailyPapers":\n[\n'
     '  {"paper": {"id": "2411.19146"}}]}', 4, "card 1 has no title"),
    ('{"daily\\u0050apers":\n[\n  {"paper": {"id": "x!", "title": "A"}}]}', 3, "not an arXiv id"),  # an escaped name
    ('{"dailyPapers": [{"paper": {"id": "2411.19146", "title": "A"}}]}\n}', 1, "expected '}' at the end"),
    ('{"dailyPapers": [{"paper": {"id": "2411.19146", "title": "A"}}],\n "x": [1, 2', 2, "invalid JSON"),
    ('{"dailyPapers": {"paper": {}}}', 1, "no list of papers"),
    ('{"something": 1}', 1, "no list of papers"),
    ('[{"paper": {"id": "2411.19146", "title": "A"}}] trailing', 1, "extra data"),
])
def test_errors_name_the_line(text, line, message):
    with pytest.raises(SnapshotError) as caught:
        parse_json_snapshot(text, "bad.json")
    assert caught.value.line == line and message in caught.value.message
    assert str(caught.value).startswith(f"bad.json:{line}: ")


def test_random_json_like_input_raises_only_snapshot_errors():
    rng = random.Random(20260119)
    pieces = ['[', ']', '{', '}', '"paper"', ':', ',', '"id"', '"title"', '"x"', '1', 'null', 'true', '"2411.19146"',
              '\n', ' ', '"summary"', '"authors"', '[{"name": 3}]', '"publishedAt"', '"2024-13-45"', '\\u0000', 'é']
    for _ in range(400):
        text = "[" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        try:
            parse_json_snapshot(text, "random.json")
        except SnapshotError:
            pass


def test_a_site_mixing_text_and_json_of_the_same_day_shows_each_paper_once(tmp_path, content_copy):
    shutil.copyfile(FIXTURE, content_copy / "snapshots" / "2026-01-19.json")
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    day = BeautifulSoup((site / "dates" / "2026-01-19" / "index.html").read_text(), "html.parser")
    titles = [a.get_text(strip=True) for a in day.select("ol.papers .paper-title a")]
    assert len(titles) == len(set(titles)) == 58  # the 57 of the text dump, plus the paper only the API shows
    assert titles[0] == "Puzzle: Distillation-Based NAS for Inference-Optimized LLMs"
    assert titles[-1] == "A Paper Only the API Shows: Sparse Kernels for Everyone"
    # The shared paper has one page, under its arXiv id, with arXiv links; no title-slug page remains.
    page = BeautifulSoup((site / "papers" / "2411.19146" / "index.html").read_text(), "html.parser")
    hrefs = [a["href"] for a in page.select("a[href]")]
    assert "https://arxiv.org/abs/2411.19146" in hrefs and "https://arxiv.org/pdf/2411.19146" in hrefs
    assert not (site / "papers" / "puzzle-distillation-based-nas-for-inference-optimized-llms").exists()
    # Its history still includes the text-only days before (none for Puzzle) and its upvotes from the API.
    assert "18 upvotes" in day.select_one("#paper-2411\\.19146").get_text(" ")
    # Wan's GitHub repository and stars reach its page.
    wan = (site / "papers" / "2503.20314" / "index.html").read_text()
    assert "https://github.com/Wan-Video/Wan2.1" in wan and "14,000" in wan
    # Feeds and the e-mail carry the richer data too.
    assert "https://arxiv.org/abs/2411.19146" in (site / "feed.xml").read_text()
    text = (site / "email" / "2026-01-19.txt").read_text()
    assert "arXiv: https://arxiv.org/abs/2411.19146" in text and "18 upvotes" in text
    assert "https://arxiv.org/abs/2411.19146" in (site / "email" / "2026-01-19.html").read_text()


def test_a_site_from_all_four_formats_of_one_day_shows_each_paper_once(tmp_path, content_copy):
    snapshots = content_copy / "snapshots"
    shutil.copyfile(FIXTURES / "html" / "2025-12-16-hydration.html", snapshots / "2025-12-16.html")
    shutil.copyfile(FIXTURES / "crawl" / "2025-12-16.md", snapshots / "2025-12-16.md")
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    day = BeautifulSoup((tmp_path / "site" / "dates" / "2025-12-16" / "index.html").read_text(), "html.parser")
    titles = [a.get_text(strip=True) for a in day.select("ol.papers .paper-title a")]
    assert len(titles) == len(set(titles))
    text_titles = {c.title for c in parse_snapshot((snapshots / "2025-12-16.txt").read_text(), "x").cards}
    assert text_titles <= set(titles)
    # The text dump is the longest list, so it leads: its order is the day's order.
    assert titles[:len(text_titles)] == [c.title for c in parse_snapshot(
        (snapshots / "2025-12-16.txt").read_text(), "x").cards]
    # DeepSeek-V3 has an id from the HTML and crawler snapshots: one page on every day it trended, named
    # by its title, as on 3 Nov, when it was first seen, in a text dump (the page keeps its address).
    [page] = [p / "index.html" for p in (tmp_path / "site" / "papers").iterdir()
              if p.name.startswith("insights-into-deepseek")]
    history = BeautifulSoup(page.read_text(), "html.parser").select("table tbody tr")
    assert len(history) == 3  # 3 Nov and 7 Jan from text dumps, 16 Dec from all formats at once
    assert "2505.09343" in page.read_text()
    # Its id's address leads to that page: no second page of it.
    by_id = BeautifulSoup((tmp_path / "site" / "papers" / "2505.09343" / "index.html").read_text(), "html.parser")
    assert by_id.find("meta", attrs={"http-equiv": "refresh"})["content"] == f"0; url=../{page.parent.name}/"
    assert not by_id.select("h1, table")
    # A paper first seen on 16 Dec, in the formats that show its id, is named by the id.
    first_seen_with_id = {c.arxiv_id for c in parse_snapshot((snapshots / "2025-12-16.html").read_text(), "x").cards}
    assert any((tmp_path / "site" / "papers" / arxiv_id).is_dir() for arxiv_id in first_seen_with_id)


def test_a_long_list_takes_time_in_proportion_and_keeps_its_lines():
    """Each item's line used to be counted from the start of the file, which took minutes for
    100,000 items.  Counted on from the item before, lines stay right."""
    import time

    one = '{"paper": {"id": "2601.00001", "title": "A paper on inference", "summary": "An abstract."}}'
    text = "[\n" + ",\n".join([one] * 19_998) + ',\n{"paper": {"id": "2601.00002"}}\n]'
    start = time.perf_counter()
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(text, "2026-01-21.json")
    assert time.perf_counter() - start < 5
    assert info.value.line == 20_000 and "has no title" in info.value.message


@pytest.mark.parametrize("wrap", [lambda items: f"[\n{items}\n]", lambda items: f'{{"dailyPapers": [{items}]}}'])
def test_a_list_of_far_more_entries_than_a_day_has_is_refused_before_its_cards_are_made(wrap):
    """A million copies of one paper were read as one paper, in over ten seconds."""
    import time

    one = '{"paper": {"id": "2601.00001", "title": "A paper on inference", "summary": "An abstract."}}'
    text = wrap(",\n".join([one] * 1_000_000))
    start = time.perf_counter()
    with pytest.raises(SnapshotError, match="not a day's list: more than 20,000 entries"):
        parse_snapshot(text, "2026-01-21.json")
    assert time.perf_counter() - start < 5


def test_direction_overrides_are_taken_out_of_snapshot_text():
    """An override left open turns the text after it around, on the page and beyond the title;
    a direction mark, which turns nothing around, stays."""
    text = json.dumps([{"paper": {"id": "2601.00001", "title": "Safe \u202egpj.exe\u202c paper",
                                  "summary": "An \u2067isolate\u2069 and a mark\u200f.",
                                  "authors": [{"name": "A\u202dB"}]}}])
    [card] = parse_snapshot(text, "2026-01-21.json").cards
    assert (card.title, card.abstract) == ("Safe gpj.exe paper", "An isolate and a mark\u200f.")
    assert card.author_names == ("AB",)


def test_a_paper_listed_twice_with_other_text_is_kept_for_a_warning_and_once_if_the_same():
    def item(title: str, summary: str, paper_id: str = "2601.00001") -> dict:
        return {"paper": {"id": paper_id, "title": title, "summary": summary,
                          "submittedOnDailyAt": "2026-01-21T00:00:00.000Z"}}

    answer = json.dumps([item("A Paper", "One."), item("Other", "Two.", "2601.00002"), item("A Paper", "One."),
                         item("A Paper, Revised", "Three.")], indent=1)
    parsed = parse_snapshot(answer, "2026-01-21.json")
    assert [card.title for card in parsed.cards] == ["A Paper", "Other", "A Paper, Revised"]
    assert len(parsed.notes) == 1 and parsed.notes[0].startswith("2026-01-21.json:")
    assert "'A Paper, Revised' is taken for the same paper as the card at line" in parsed.notes[0]
    assert "(they have the same arXiv id)" in parsed.notes[0]


@pytest.mark.parametrize("text, message", [
    ('[\n  {"paper": {"id": "2411.19146", "title": "A}}]', "Unterminated string starting at: line 2 column 43"),
    ('[\n  {"paper": {"id": "2411.19146",\n "title": }}]', "Expecting value: line 3 column 11"),
    ('{"dailyPapers": [\n{"paper": {"title": "A}}]}', "Unterminated string starting at: line 2 column 21"),
])
def test_a_json_syntax_error_is_told_whole_with_its_line_and_column(text, message):
    """json's messages ("Unterminated string starting at") end in the place they name."""
    with pytest.raises(SnapshotError) as caught:
        parse_json_snapshot(text, "bad.json")
    line = int(message.split("line ")[1].split()[0])
    assert str(caught.value) == f"bad.json:{line}: invalid JSON: {message}"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("wrapped", [False, True])  # an API array, or a saved {"dailyPapers": [...]} object
def test_nan_and_infinity_which_json_has_not_are_refused_at_their_entry(constant, wrapped):
    items = ('[\n  {"paper": {"id": "2411.19146", "title": "NaN, Infinity", "summary": "A."}},\n'
             f'  {{"paper": {{"id": "2411.19147", "title": "B", "summary": "B.",\n   "upvotes": {constant}}}}}\n]')
    with pytest.raises(SnapshotError) as caught:
        parse_json_snapshot('{"dailyPapers": ' + items + "}" if wrapped else items, "bad.json")
    assert str(caught.value) == (f"bad.json:3: invalid JSON: {constant} in the entry from this line, which is no "
                                 f"JSON value (JSON has no NaN or infinite numbers)")


@pytest.mark.parametrize("text", ["[1, 2]", '[[{"paper": {"id": "2601.00001", "title": "t"}}]]', '["a"]',
                                  '\ufeff [null]'])
def test_json_that_is_not_a_list_of_papers_is_told_so(text):
    """Read as a text dump, it was told it had no list day such as 'Dec 16'."""
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(text, "x.json")
    assert str(caught.value) == ("x.json:1: not a Daily Papers snapshot: JSON, but not a list of papers (a list of "
                                 "objects, or an object with 'dailyPapers')")


@pytest.mark.parametrize("member, bad, shown", [
    ("upvotes", -3, "upvotes -3"), ("publishedAt", "yesterday", 'publishedAt "yesterday"'),
    ("id", "not-an-id", "an id that is not an arXiv id"), ("numComments", 2.5, "numComments 2.5")])
def test_a_bad_value_is_told_at_its_own_line_not_its_papers(member, bad, shown):
    """In a pretty-printed list a paper spans many lines: the one of the value is the one to edit."""
    def item(number: int) -> dict:
        # The entry's own publishedAt comes first, and holds a good date: not the one told.
        return {"publishedAt": "2024-11-28T00:00:00.000Z", "numComments": 1, "title": f"Paper {number}",
                "paper": {"id": f"2601.0000{number}", "title": f"Paper {number}", "summary": "An abstract.",
                          "publishedAt": "2024-11-28T00:00:00.000Z", "upvotes": 5}}
    items = [item(n) for n in range(3)]
    (items[2] if member == "numComments" else items[2]["paper"])[member] = bad
    text = json.dumps(items, indent=2)
    with pytest.raises(SnapshotError) as caught:
        parse_json_snapshot(text, "day.json")
    lines = text.splitlines()
    written = json.dumps(bad)
    expected = next(n for n, line in enumerate(lines, 1) if f'"{member}": {written}' in line)
    assert (caught.value.line, shown in caught.value.message) == (expected, True), str(caught.value)
    assert lines[caught.value.line - 1].strip().startswith(f'"{member}"')


def test_json_nested_thousands_deep_is_told_as_json_that_is_no_list_of_papers():
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("[" * 5000 + "{}" + "]" * 5000, "x.json")
    assert caught.value.message.startswith("not a Daily Papers snapshot: JSON, but not a list of papers")


def test_extra_data_after_the_list_is_told_at_its_own_line():
    text = '[{"title": "T", "paper": {"id": "2601.00001", "title": "T"}}]\n\n\n\ngarbage\n'
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(text, "x.json")
    assert (caught.value.line, caught.value.message) == (5, "invalid JSON: extra data after the list")


def test_only_objects_in_authors_are_authors():
    item = {"paper": {"id": "2601.00001", "title": "T", "summary": "A.",
                      "authors": [["x"], "Y", 3, {"name": ["A"]}, {"name": "Real"}]}}
    [card] = parse_snapshot(json.dumps([item]), "x.json").cards
    assert (card.authors, card.author_names) == (2, ("Real",))
    item["paper"]["authors"] = "A, B, C"
    [card] = parse_snapshot(json.dumps([item]), "x.json").cards
    assert card.authors is None


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_errors_name_the_same_line_whatever_the_files_line_ends(line_end):
    """A file saved with CR or CRLF line ends is told at the lines an editor shows, as one with LF."""
    items = [{"paper": {"id": f"2501.0000{i}", "title": f"Paper {i}", "summary": "An abstract.",
                        "upvotes": 5 if i < 3 else "many", "publishedAt": "2025-01-10"}} for i in range(5)]
    text = json.dumps(items, indent=1)
    with pytest.raises(SnapshotError) as lf:
        parse_snapshot(text, "x.json")
    with pytest.raises(SnapshotError) as other:
        parse_snapshot(text.replace("\n", line_end), "x.json")
    assert lf.value.line == text.split("\n").index('   "upvotes": "many",') + 1
    assert (other.value.line, other.value.message) == (lf.value.line, lf.value.message)
    # A saved HTML page counts lines alike.
    page = ("<!DOCTYPE html>\n<html><body>\n<h1>Daily Papers</h1>\n<time>Jun 17</time>\n"
            "<article><h3><a href=\"https://example.org/\">Elsewhere</a></h3><p>Text.</p></article>\n"
            "<article><h3><a href=\"/papers/2506.13585\">A paper</a></h3><p>Its abstract.</p></article>\n"
            "</body></html>\n")
    assert parse_snapshot(page.replace("\n", line_end), "2025-06-17.html").notes == (
        "2025-06-17.html:5: the heading 'Elsewhere' has no link to a paper's page, so its card is left out",)


def _entries(days: list[str], published: str = "2024-11-27T18:11:05.000Z") -> str:
    return json.dumps([{"paper": {"id": f"2501.0000{n}", "title": f"Paper {n}", "summary": "An abstract.",
                                  "upvotes": 3, "publishedAt": published, "submittedOnDailyAt": day}}
                       for n, day in enumerate(days)])


def test_a_time_with_an_offset_is_dated_in_utc():
    """The hub's times are UTC; a time saved with its offset (-08:00) was dated by its local day,
    and a lower-case z was refused as no date."""
    parsed = parse_json_snapshot(_entries(["2026-01-18T18:11:05-08:00"] * 2, "2024-11-27T18:11:05-08:00"), "x.json")
    assert parsed.list_day == PartialDate(1, 19, 2026)
    assert parsed.cards[0].published == PartialDate(11, 28, 2024)
    assert parse_json_snapshot(_entries(["2026-01-19T08:00:00.000z"], "2024-11-27T18:11:05.000z"),
                               "x.json").cards[0].published == PartialDate(11, 27, 2024)


@pytest.mark.parametrize("time", ["9999-12-31T23:00:00-08:00", "0001-01-01T00:00:00+08:00"])
@pytest.mark.parametrize("field", ["publishedAt", "submittedOnDailyAt"])
def test_a_time_whose_offset_moves_it_past_the_dates_python_holds_is_no_date(time, field):
    """In UTC these times fall after 9999-12-31 or before 0001-01-01: Python's OverflowError was an
    internal error (exit 70), and in a saved page's hydration data "cannot read this HTML page"."""
    item = {"paper": {"id": "2501.00001", "title": "A", "summary": "An abstract.",
                      "publishedAt": "2025-01-10", "submittedOnDailyAt": "2025-01-15T08:00:00Z", field: time}}
    text = json.dumps([item], indent=1)
    if field == "publishedAt":
        with pytest.raises(SnapshotError) as caught:
            parse_snapshot(text, "2025-01-15.json")
        assert (caught.value.line, caught.value.message) == (
            text.split("\n").index(f'   "publishedAt": "{time}",') + 1,
            f'card 1, \'A\', has publishedAt "{time}", which is not a date (YYYY-MM-DD)')
    else:  # no list day: the snapshot is dated by its file name, as one without submittedOnDailyAt
        parsed = parse_snapshot(text, "2025-01-15.json")
        assert parsed.list_day is None and [card.title for card in parsed.cards] == ["A"]


def test_an_answer_spread_over_days_has_no_list_day():
    """A trending or weekly answer lists papers submitted on several days: it is no day's list, and
    was filed under the day most of them were submitted on (or refused under its capture date)."""
    spread = _entries([f"2026-01-{day}T08:00:00.000Z" for day in (12, 13, 14, 14, 15, 16)])
    assert parse_json_snapshot(spread, "x.json").list_day is None
    assert [c.rank for c in parse_snapshot(spread, "2026-01-19.json").cards] == [1, 2, 3, 4, 5, 6]
    mostly = _entries(["2026-01-19T08:00:00.000Z"] * 7 + ["2026-01-18T23:00:00.000Z"])  # a day's, a late one too
    assert parse_json_snapshot(mostly, "x.json").list_day == PartialDate(1, 19, 2026)


def test_a_list_of_the_papers_alone_is_read_with_their_ids_and_counts():
    """jq 'map(.paper)' of an answer: each entry is the paper itself; its id, upvotes and authors
    were dropped without a word."""
    papers = [item["paper"] for item in json.loads(FIXTURE.read_text())]
    cards = parse_json_snapshot(json.dumps(papers), "2026-01-19.json").cards
    whole = parse_json_snapshot(FIXTURE.read_text(), "2026-01-19.json").cards
    assert [(c.arxiv_id, c.upvotes, c.authors, c.keywords) for c in cards] == [
        (c.arxiv_id, c.upvotes, c.authors, c.keywords) for c in whole]


def test_check_finds_the_lines_of_the_problems_it_tells_only(monkeypatch):
    """Finding a problem's line reads the text again: done for every bad entry of a long answer,
    check took minutes (6,000 entries: 2 min), where it tells 20 and says that more follow."""
    import digest.parse.api
    from digest.parse import later_problems

    items = [{"paper": {"id": f"2501.{n:05d}", "title": f"Paper {n}", "summary": "An abstract.", "upvotes": "many",
                        "submittedOnDailyAt": "2025-01-15T00:00:00Z"}} for n in range(900)]
    text = json.dumps(items, indent=2)
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(text, "2025-01-15.json")
    calls = []
    original = digest.parse.api._at_value_line
    monkeypatch.setattr(digest.parse.api, "_at_value_line", lambda *a: calls.append(a) or original(*a))
    later = later_problems(text, "2025-01-15.json", info.value)
    *told, more = later
    assert len(told) == 20 and len(calls) <= 22
    assert [e.line for e in told] == sorted(e.line for e in told) and told[0].line > info.value.line
    assert (more.line, more.message) == (told[-1].line, "more problems follow: check tells 21 problems of a file; "
                                                        "mend these and check again")


def test_an_id_written_as_a_number_is_told_as_such():
    item = {"paper": {"id": 2411.1914, "title": "T", "summary": "A.", "submittedOnDailyAt": "2025-01-15T00:00:00Z"}}
    with pytest.raises(SnapshotError) as info:
        parse_json_snapshot(json.dumps([item]), "x.json")
    assert info.value.message.startswith("card 1, 'T', has an id that is a number, 2411.1914, not text: an arXiv id is "
                                         "written in quotes"), info.value.message


def test_a_card_whose_title_no_reader_sees_is_not_named_by_it():
    """Its other problem was told as "card 2, '', is dated ...", the title's own never."""
    items = [{"paper": {"id": "2512.00001", "title": "A", "summary": "Seen."}},
             {"paper": {"id": "2512.00002", "title": "\u200b\u200b", "summary": "Seen.", "publishedAt": "1985-01-01"}}]
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]", "x.json")
    assert str(caught.value).startswith("x.json:3: card 2 is dated 1985-01-01, before arXiv's first paper")
