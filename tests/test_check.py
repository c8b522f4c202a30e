"""digest check lists every problem at once and writes nothing; --strict makes warnings fatal."""

from __future__ import annotations

import json
import os
import re
import shutil

from conftest import CONTENT, FIXTURES, ORIGINAL_NAMES, lengthen_first_abstract, run_cli, synthetic_corpus, tree
from digest.errors import shortened


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_good_content_checks_clean_and_nothing_is_written(content_copy):
    before = listing(content_copy)
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(4 snapshots): 0 errors, 0 warnings")
    assert listing(content_copy) == before  # not even the Markdown pages


def test_every_problem_is_listed_at_once(content_copy):
    snapshots = content_copy / "snapshots"
    (snapshots / "2026-01-20.txt").write_text("Daily Papers\n\nJan 20\n\nA title only\n")
    (snapshots / "2026-01-21.txt").write_bytes(b"\x00\x01binary")
    shutil.copyfile(snapshots / "2025-12-16.txt", snapshots / "2025-11-04.txt")
    (content_copy / "site.yaml").write_text("title: x\nbase_url: ftp://x\nfeed_items: 0\n")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("digest: error: ")]
    assert len(errors) == 5, result.stderr
    assert any(re.search(r"site\.yaml:\d+: base_url:", e) for e in errors)
    assert any(re.search(r"site\.yaml:\d+: feed_items: must be at least 1", e) for e in errors)
    assert any("2026-01-20.txt:5: card 'A title only' has a title but no abstract" in e for e in errors)
    assert any("2026-01-21.txt: not a Daily Papers snapshot: binary data" in e for e in errors)
    assert any("2025-11-04.txt:11: list day 'Dec 16' contradicts the date 2025-11-04" in e for e in errors)
    assert "Traceback" not in result.stderr
    assert "5 errors" in result.stdout


def test_a_warning_about_a_file_whose_name_holds_a_line_break_is_one_line(tmp_path, seed_dir):
    """Snapshots in a content folder must have printable names; a file given to parse may not."""
    capture = tmp_path / "cap\nture\r.txt"
    shutil.copyfile(seed_dir / ORIGINAL_NAMES[0], capture)
    result = run_cli("parse", capture, env={"SOURCE_DATE_EPOCH": "1780000000"})
    assert result.returncode == 0, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("digest: warning: ") and "cap\\nture\\r.txt:" in result.stderr
    assert "assumed the list day Nov 3 is in 2025" in result.stderr


def test_strict_turns_warnings_into_failures(tmp_path, content_copy, seed_dir):
    # A capture with no date in its name that no other snapshot can date: its year is assumed, with a warning.
    snapshots = content_copy / "snapshots"
    for path in snapshots.iterdir():
        path.unlink()
    shutil.copyfile(seed_dir / ORIGINAL_NAMES[0], snapshots / "capture.txt")
    env = {"SOURCE_DATE_EPOCH": "1780000000"}  # 2026-05-28: "today" for the guess
    relaxed = run_cli("check", "--content", content_copy, env=env)
    assert relaxed.returncode == 0 and "assumed the list day Nov 3 is in 2025" in relaxed.stderr
    strict = run_cli("check", "--strict", "--content", content_copy, env=env)
    assert strict.returncode == 1 and "(--strict: warnings fail)" in strict.stdout

    site = tmp_path / "site"
    result = run_cli("build", "--strict", "--content", content_copy, "--out", site, env=env)
    assert result.returncode == 1
    assert "--strict: 1 warning, so nothing was written" in result.stderr
    assert not site.exists() and not (content_copy / "dates").exists()
    result = run_cli("build", "--content", content_copy, "--out", site, env=env)
    assert result.returncode == 0 and "warning" in result.stderr
    # A build that finds nothing changed stands for the last one: its warnings again, and --strict fails.
    for flags in ([], ["--quiet"]):
        again = run_cli("build", *flags, "--content", content_copy, "--out", site, env=env)
        assert again.returncode == 0 and "assumed the list day Nov 3 is in 2025" in again.stderr
    before = tree(site)
    result = run_cli("build", "--strict", "--content", content_copy, "--out", site, env=env)
    assert result.returncode == 1 and "--strict: 1 warning, so nothing was written" in result.stderr
    assert tree(site) == before
    assert (site / "dates" / "2025-11-03" / "index.html").is_file()


def test_check_catches_what_only_rendering_shows(content_copy):
    site_yaml = content_copy / "site.yaml"
    # Too small for even one paper: only rendering the e-mail shows it.
    site_yaml.write_text(site_yaml.read_text().replace("max_html_bytes: 102000", "max_html_bytes: 10000")
                         .replace("abstract_chars: 300", "abstract_chars: 100000"))
    lengthen_first_abstract(content_copy)
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1
    assert "email.max_html_bytes" in result.stderr


def test_what_only_rendering_shows_is_listed_with_the_broken_snapshots_too(content_copy):
    """The site of the snapshots that read is rendered in memory as well: pages of the user's in
    the way are listed beside a broken snapshot, not once it is mended."""
    (content_copy / "snapshots" / "2026-01-20.txt").write_text("Daily Papers\n\nJan 20\n\nA title only\n")
    shutil.copytree(CONTENT / "dates", content_copy / "dates")
    mine = [content_copy / "dates" / "2026-01-19.md", content_copy / "dates" / "2025-11-03.md"]
    for path in mine:
        path.write_text("# My notes\n", encoding="utf-8")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("digest: error: ")]
    assert any("2026-01-20.txt:5: card 'A title only' has a title but no abstract" in e for e in errors), errors
    assert all(any(f"{path}: a page digest did not make" in e for e in errors) for path in mine), errors
    assert len(errors) == 3, errors


def test_check_reports_a_folder_named_like_a_markdown_page(content_copy):
    shutil.copytree(CONTENT / "dates", content_copy / "dates")
    page = content_copy / "dates" / "2026-01-07.md"
    page.unlink()
    page.mkdir()
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1
    assert f"{page}: not a file, named like a generated Markdown page" in result.stderr


def test_every_file_of_the_users_where_a_markdown_page_goes_is_listed(content_copy, tmp_path):
    """A build stops at the first; check names them all, so that one move of files mends them."""
    shutil.copytree(CONTENT / "dates", content_copy / "dates")
    shutil.copytree(CONTENT / "topics", content_copy / "topics")
    mine = [content_copy / "dates" / "2026-01-07.md", content_copy / "dates" / "2026-01-19.md",
            sorted((content_copy / "topics").glob("*.md"))[0]]
    for path in mine:
        path.write_text("# My notes\n", encoding="utf-8")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    told = [line for line in result.stderr.splitlines() if "a page digest did not make" in line]
    assert sorted(told) == sorted(f"digest: error: {path}: a page digest did not make (its front matter has no "
                                  f"line 'generator: digest'), where it writes a generated page: move or rename it"
                                  for path in mine), result.stderr
    assert all(path.read_text(encoding="utf-8") == "# My notes\n" for path in mine)
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 1 and result.stderr.count("a page digest did not make") == 1, result.stderr


def test_a_content_folder_without_snapshots_builds_an_empty_site_and_says_so(content_copy, tmp_path):
    for path in (content_copy / "snapshots").iterdir():
        path.unlink()
    warning = f"digest: warning: {content_copy / 'snapshots'}: no snapshots yet, so the site lists no days"
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 0 and warning in result.stderr, result.stderr
    assert "0 errors, 1 warning" in result.stdout and "1 warnings" not in result.stdout
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0 and warning in result.stderr, result.stderr
    assert "built 0 days" in result.stdout
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "strict", "--no-search", "--strict")
    assert result.returncode == 1 and warning in result.stderr
    assert not (tmp_path / "strict").exists()


def test_every_bad_snapshot_of_many_is_listed_in_order(tmp_path):
    """With enough snapshots to be read by several processes, each bad one is still named once,
    in file order."""
    content = synthetic_corpus(tmp_path / "content", 30)
    snapshots = sorted((content / "snapshots").iterdir())
    bad = [snapshots[i] for i in (3, 17, 28)]
    for path in bad:
        path.write_bytes(b"\x00\x01binary")
    result = run_cli("check", "--content", content)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("digest: error: ")]
    assert errors == [f"digest: error: {path}: not a Daily Papers snapshot: binary data (NUL bytes)" for path in bad]


def test_files_of_the_snapshots_folder_that_are_not_read_are_named(content_copy, tmp_path):
    """A day saved as .mhtml, a backup or a folder of snapshots is not read: each is a warning
    (in check, in a build, again in a build that changes nothing), and gone once it is."""
    snapshots = content_copy / "snapshots"
    (snapshots / "2026-01-20.mhtml").write_text("MIME-Version: 1.0\n")
    (snapshots / "2026-01-19.txt~").write_text("old")
    (snapshots / "older").mkdir()
    (snapshots / ".DS_Store").write_bytes(b"\0")  # hidden: not a warning
    shutil.copy(FIXTURES / "html" / "2025-12-16-hydration.html", snapshots / "2025-12-16.html")
    (snapshots / "2025-12-16_files").mkdir()  # saved with the page ("Webpage, complete"): not a warning
    (snapshots / "2025-12-16 older copies").mkdir()  # named like the page, but not its folder: a warning
    (snapshots / "2026-02-01.pdf").symlink_to(tmp_path / ("a" * 300))  # the file system cannot tell what it is
    warnings = [f"digest: warning: {snapshots / '2025-12-16 older copies'}: a folder, not read: digest reads the "
                "snapshot files of the snapshots folder itself",
                f"digest: warning: {snapshots / '2026-01-19.txt~'}: not read: snapshots are .txt, .md, .html, "
                ".htm or .json files; rename it, or move it out of the snapshots folder",
                f"digest: warning: {snapshots / '2026-01-20.mhtml'}: not read: snapshots are .txt, .md, .html, "
                ".htm or .json files; rename it, or move it out of the snapshots folder",
                f"digest: warning: {snapshots / '2026-02-01.pdf'}: not read: snapshots are .txt, .md, .html, "
                ".htm or .json files; rename it, or move it out of the snapshots folder",
                f"digest: warning: {snapshots / 'older'}: a folder, not read: digest reads the snapshot files of "
                "the snapshots folder itself"]

    def warned(result):
        return [line for line in result.stderr.splitlines() if line.startswith("digest: warning: ")]

    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 0 and warned(result) == warnings, result.stderr
    assert "0 errors, 5 warnings" in result.stdout
    site = tmp_path / "site"
    for _ in range(2):  # the second build changes nothing, and says so again
        result = run_cli("build", "--content", content_copy, "--out", site, "--no-search")
        assert result.returncode == 0 and warned(result) == warnings, result.stderr
    result = run_cli("build", "--content", content_copy, "--out", site, "--no-search", "--strict")
    assert result.returncode == 1 and "--strict: 5 warnings" in result.stderr
    (snapshots / "2026-01-20.mhtml").unlink()
    (snapshots / "2026-01-20.mhtml").mkdir()  # the same name, now a folder: told as one, also by a build
    result = run_cli("build", "--content", content_copy, "--out", site, "--no-search")
    assert result.returncode == 0, result.stderr
    assert warned(result) == [*warnings[:2], f"digest: warning: {snapshots / '2026-01-20.mhtml'}: a folder, not read: "
                              "digest reads the snapshot files of the snapshots folder itself", *warnings[3:]]


def test_snapshots_saved_beside_the_snapshots_folder_are_named(content_copy, tmp_path, seed_dir):
    """A day saved into the content folder itself, or among the Markdown pages of dates/, was
    missing from the site without a word."""
    seed = seed_dir / "000_84d5e573882e4a31.txt"
    day = (content_copy / "snapshots" / "2026-01-19.txt").read_text(encoding="utf-8")
    (content_copy / "2026-01-20.txt").write_text(day.replace("\nJan 19\n", "\nJan 20\n", 1), encoding="utf-8")
    shutil.copy(FIXTURES / "html" / "2025-12-16-hydration.html", content_copy / "Daily Papers.html")
    (content_copy / "dates").mkdir(exist_ok=True)
    shutil.copy(seed, content_copy / "dates" / "2026-01-21.txt")
    (content_copy / "README.md").write_text("# My digest\n")  # no day, no saved page: not a warning
    (content_copy / "notes.txt").write_text("to do\n")
    (content_copy / ".newsletter-sent").write_text("2026-01-19\n")
    told = ("not read: snapshots are read from the snapshots folder only; if it is one, move it there "
            "(digest add FILE does)")
    warnings = [f"digest: warning: {content_copy / name}: {told}"
                for name in ("2026-01-20.txt", "Daily Papers.html", "dates/2026-01-21.txt")]

    def warned(result):
        return sorted(line for line in result.stderr.splitlines() if line.startswith("digest: warning: "))

    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 0 and warned(result) == sorted(warnings), result.stderr
    for _ in range(2):  # the second build changes nothing, and says so again
        result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
        assert result.returncode == 0 and warned(result) == sorted(warnings), result.stderr
    (content_copy / "2026-01-20.txt").rename(content_copy / "snapshots" / "2026-01-20.txt")
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0 and warned(result) == sorted(warnings[1:]), result.stderr


def test_the_markdown_pages_are_listed_as_pathlibs_glob_lists_them(tmp_path):
    """markdown_page_files lists with os.scandir (no stat per page); what it finds, in what order,
    and what it calls no file must be what pathlib's glob of the same patterns finds."""
    from digest.inputs import _MARKDOWN_PAGES, _named_like_pages

    content = tmp_path / "content"
    (content / "dates").mkdir(parents=True)
    (content / "topics" / "a").mkdir(parents=True)
    (content / "topics" / "b-c").mkdir()
    (content / "topics" / ".hidden").mkdir()
    for name in ("dates/2026-01-02.md", "dates/2026-01-01.md", "dates/.md", "dates/x.MD", "topics/t.md",
                 "topics/a/page-2.md", "topics/a/page-10.md", "topics/b-c/page-1.md", "topics/.hidden/page-1.md",
                 "topics/file", "topics/a/other.md"):
        (content / name).write_text("")
    (content / "dates" / "folder.md").mkdir()
    (content / "topics" / "a" / "page-.md").mkdir()
    os.symlink("nowhere", content / "dates" / "broken.md")
    os.mkfifo(content / "dates" / "fifo.md")
    os.symlink(content / "topics" / "a", content / "topics" / "link")
    globbed = [(path, path.is_file()) for pattern in _MARKDOWN_PAGES for path in sorted(content.glob(pattern))]
    assert len(globbed) == 15 and sum(not is_file for _, is_file in globbed) == 5
    assert _named_like_pages(content) == globbed


def test_a_folder_of_pages_that_is_a_link_to_itself_is_reported_by_check(content_copy):
    (content_copy / "dates").symlink_to("dates")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{content_copy / 'dates'}: a link, where digest keeps its Markdown pages" in result.stderr, result.stderr


def templates_with(tmp_path, name: str, old: str, new: str):
    """A copy of digest's templates with ``old`` replaced by ``new`` in one of them."""
    templates = tmp_path / "templates"
    shutil.copytree(CONTENT.parent / "templates", templates)
    text = (templates / name).read_text(encoding="utf-8")
    assert old in text
    (templates / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return templates


def errors_of(result) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("digest: error: ")]


def test_check_renders_the_search_page_and_what_templates_show_with_search(content_copy, tmp_path):
    """What a build with search renders, check renders too (without indexing anything)."""
    for name, old, where in (("search.html", "<h1>Search</h1>", "search.html:"),
                             ("base.html", "{% if search %}<li>", "base.html:")):
        templates = templates_with(tmp_path / name, name, old, old.replace("<", "{{ nosuchvar }}<", 1))
        result = run_cli("check", "--content", content_copy, "--templates", templates)
        assert result.returncode == 1
        assert [e for e in errors_of(result) if where in e and "'nosuchvar' is undefined" in e], result.stderr
        # A site built with --no-search has no search page, and shows nothing of it.
        assert run_cli("check", "--content", content_copy, "--templates", templates, "--no-search").returncode == 0


def test_a_broken_setting_hides_neither_template_problems_nor_pages_in_the_way(content_copy, tmp_path):
    site_yaml = content_copy / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("feed_items: 30", "feed_items: lots"))
    (content_copy / "topics.yaml").write_text("topics:\n  - slug: a\n    title: A\n")  # no rules
    templates = templates_with(tmp_path, "archive.html", "{% block content %}", "{% block content %}{{ nosuchvar }}")
    shutil.copytree(CONTENT / "dates", content_copy / "dates")
    (content_copy / "dates" / "2026-01-07.md").write_text("# My notes\n")
    errors = errors_of(run_cli("check", "--content", content_copy, "--templates", templates))
    assert [e.split(": ")[3] for e in errors] == ["feed_items", "topics[0].rules", "template error",
                                                  "a page digest did not make (its front matter has no line 'generator"]
    assert re.search(r"site\.yaml:\d+: feed_items: must be a whole number", errors[0]), errors


def test_pages_in_the_way_are_all_listed_before_rendering_stops_at_its_first_problem(content_copy, tmp_path):
    shutil.copytree(CONTENT / "dates", content_copy / "dates")
    shutil.copytree(CONTENT / "topics", content_copy / "topics")
    mine = [content_copy / "dates" / "2026-01-07.md", sorted((content_copy / "topics").glob("*.md"))[0]]
    for path in mine:
        path.write_text("# My notes\n", encoding="utf-8")
    folder = content_copy / "dates" / "2026-01-19.md"
    folder.unlink()
    folder.mkdir()  # a problem of the pages' folders: rendering goes on all the same
    templates = templates_with(tmp_path, "email.txt", "{{", "{{ nosuchvar }}{{")
    errors = errors_of(run_cli("check", "--content", content_copy, "--templates", templates))
    assert sorted(errors) == sorted([
        f"digest: error: {folder}: not a file, named like a generated Markdown page: move it away",
        *(f"digest: error: {path}: a page digest did not make (its front matter has no line 'generator: digest'), "
          f"where it writes a generated page: move or rename it" for path in mine),
        *(e for e in errors if "email.txt:" in e and "'nosuchvar' is undefined" in e)]), errors
    assert len(errors) == 4, errors


def test_pages_in_the_way_are_listed_with_a_template_that_does_not_compile(content_copy, tmp_path):
    """A template syntax error stopped the check before the pages in the way were looked for."""
    (content_copy / "dates").mkdir()
    mine = content_copy / "dates" / "2026-01-19.md"
    mine.write_text("# My notes\n", encoding="utf-8")
    templates = templates_with(tmp_path, "day.html", "{% block content %}", "{% block content %}{% if %}")
    errors = errors_of(run_cli("check", "--content", content_copy, "--templates", templates))
    assert len(errors) == 2 and f"digest: error: {mine}: a page digest did not make" in errors[1], errors
    assert errors[0].startswith(f"digest: error: {templates / 'day.html'}:"), errors


def test_a_snapshot_beside_a_missing_snapshots_folder_is_named(content_copy):
    """As the build names it: the warning that explains the error."""
    (content_copy / "snapshots" / "2026-01-19.txt").rename(content_copy / "2026-01-19.txt")
    shutil.rmtree(content_copy / "snapshots")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and sorted(result.stderr.splitlines()[:2]) == [
        f"digest: error: {content_copy / 'snapshots'}: no snapshots folder",
        f"digest: warning: {content_copy / '2026-01-19.txt'}: not read: snapshots are read from the snapshots folder "
        f"only; if it is one, move it there (digest add FILE does)"], result.stderr


def test_quiet_check_prints_only_problems(content_copy):
    result = run_cli("check", "-q", "--content", content_copy)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    (content_copy / "site.yaml").write_text("title: x\n")
    result = run_cli("check", "--quiet", "--content", content_copy)
    assert result.returncode == 1 and result.stdout == "" and "base_url: is required" in result.stderr


def test_a_page_in_the_way_of_a_snapshot_that_does_not_read_yet_is_listed(content_copy):
    (content_copy / "snapshots" / "2026-01-20.txt").write_text("Daily Papers\n\nJan 20\n\nA title only\n")
    (content_copy / "dates").mkdir()
    mine = content_copy / "dates" / "2026-01-20.md"
    mine.write_text("# My notes\n", encoding="utf-8")
    errors = errors_of(run_cli("check", "--content", content_copy))
    assert len(errors) == 2 and "2026-01-20.txt:5: card 'A title only' has a title but no abstract" in errors[0]
    assert errors[1].startswith(f"digest: error: {mine}: a page digest did not make"), errors


FIVE_CARDS = """Daily Papers

Jan 20

First title

First abstract.

  • 2 authors
·
Foo 14 3

Second title

  • 3 authors
·
Jan 18

Third title

Third abstract.

  • 3 authors
·
Jan 18

Fourth title

Fourth abstract.

  ~~ weird who ~~
·
Jan 18 2

Fifth title

Fifth abstract.

  • 3 authors
·
Jan 18
"""


def test_every_broken_card_of_a_text_dump_is_listed_not_only_the_first(content_copy):
    """A text dump with three broken cards among five: check names all three at their lines; the
    build stops at the first, and the cards that read are no problem."""
    path = content_copy / "snapshots" / "2026-01-20.txt"
    path.write_text(FIVE_CARDS)
    told = told_by_check_and_build(content_copy, "2026-01-20.txt")
    assert told == [
        f"digest: error: {path}:11: 'Foo 14 3' where a card's date should be: a month and a day, as in 'May 14' "
        f"or 'May 14, 2025', then its comment count",
        f"digest: error: {path}:13: card 'Second title' has a title but no abstract",
        f"digest: error: {path}:31: '~~ weird who ~~' is neither an author count nor an organization"]
    # A text that does not decode has its one problem, and the others are still listed.
    latin = content_copy / "snapshots" / "2026-01-21.txt"
    latin.write_bytes(b"Daily Papers\n\nJan 21\n\nT\xdctle\n\nAbs.\n")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and result.stdout.startswith(f"digest: checked {content_copy} (6 snapshots): 4 errors")
    assert f"digest: error: {latin}:5: not UTF-8 text (byte 0xdc)" in result.stderr.splitlines()
    assert [line for line in result.stderr.splitlines() if "2026-01-20.txt" in line] == told


def test_every_broken_entry_of_api_json_is_listed_at_its_line(content_copy):
    """API JSON with three broken entries among six: check names each at the line of its value
    (or its entry), numbered as the build numbers them; the build stops at the first."""
    items = json.loads((FIXTURES / "json" / "2026-01-19.json").read_text())
    items += json.loads(json.dumps(items))
    for number, item in enumerate(items[3:], 4):
        item["paper"]["id"] = f"2601.0000{number}"
        item["paper"]["title"] += f" (part {number})"
    items[1]["paper"]["id"] = "../../etc"
    items[3]["paper"]["upvotes"] = "many"
    items[4]["paper"]["title"] = "T" * 1500
    path = content_copy / "snapshots" / "2026-01-19.json"
    (content_copy / "snapshots" / "2026-01-19.txt").unlink()
    text = json.dumps(items, indent=2)
    path.write_text(text)

    def line_of(needle):
        return text[:text.index(needle)].count("\n") + 1

    many = '"many"'
    assert told_by_check_and_build(content_copy, "2026-01-19.json") == [
        f"digest: error: {path}:{line_of('../../etc')}: card 2, '{shortened(items[1]['paper']['title'])}', has an id "
        f"that is not an arXiv id: '../../etc'",
        f"digest: error: {path}:{line_of(many)}: card 4, '{shortened(items[3]['paper']['title'])}', has upvotes "
        f"\"many\", which is not a count "
        f"(a whole number from 0 to 999,999,999)",
        f"digest: error: {path}:{_item_line(text, 4)}: card 5 has a title of 1,500 "
        f"characters, where a paper's has a line or two (digest takes up to 1,000)"]


def _item_line(text, index):
    """The line where the JSON array's item ``index`` (0-based) opens: its lines at two spaces' indent."""
    openings = [number for number, line in enumerate(text.splitlines(), 1) if line == "  {"]
    return openings[index]


def test_every_broken_card_of_a_crawler_dump_is_listed(content_copy):
    """A crawler dump with a title linking to no arXiv id, a title whose reference is not defined
    and a card without an abstract: check names all three; the build stops at the first."""
    text = (FIXTURES / "crawl" / "2025-12-16.md").read_text()
    text = text.replace("](/papers/2505.09343)", "](/papers/2505.x)", 1)
    text = text.replace("[Diffusion as Shader: 3D-aware Video Diffusion for Versatile Video Generation Control]"
                        "(https://huggingface.co/papers/2501.03847)", "[Diffusion as Shader][99]")
    heading = text.index("### [MiniMax-M1")
    abstract = text.index("\n\n", heading)
    text = text[:abstract] + text[text.index("\n\n", abstract + 2):]
    path = content_copy / "snapshots" / "2025-12-16.md"
    (content_copy / "snapshots" / "2025-12-16.txt").unlink()
    path.write_text(text)
    lines = text.splitlines()

    def line_of(start):
        return next(number for number, line in enumerate(lines, 1) if line.startswith(start))

    assert told_by_check_and_build(content_copy, "2025-12-16.md") == [
        f"digest: error: {path}:{line_of('### [Insights')}: title 'Insights into DeepSeek-V3: Scaling Challenges "
        f"and Reflectio…' links to /papers/2505.x, which is not an arXiv id",
        f"digest: error: {path}:{line_of('### [Diffusion')}: the link of title 'Diffusion as Shader' refers to a "
        f"reference that is not defined (is the file truncated?)",
        f"digest: error: {path}:{line_of('### [MiniMax')}: card 'MiniMax-M1: Scaling Test-Time Compute "
        f"Efficiently with Ligh…' has a title but no abstract"]


def told_by_check_and_build(content, name):
    """The errors ``digest check`` tells of the snapshot file ``name``, after making sure that the
    build, which stops at the first, tells that one alone."""
    result = run_cli("check", "--content", content)
    assert result.returncode == 1
    told = [line for line in result.stderr.splitlines() if name in line]
    build = run_cli("build", "--content", content, "--out", content.parent / "site")
    assert build.returncode == 1 and build.stderr.splitlines() == told[:1], (result.stderr, build.stderr)
    return told


def test_check_lists_the_problems_before_the_builds_first_too_in_the_order_of_their_lines(content_copy):
    """The build meets a JSON entry's problems before any card's (a date before 1991), and a crawler
    dump's headings' before its cards': check lists them all, in the order of their lines, and
    numbers each card as the build will once the others are mended."""
    items = json.loads((FIXTURES / "json" / "2026-01-19.json").read_text())
    items[0]["paper"]["publishedAt"] = "1985-01-05T00:00:00.000Z"
    items[2]["paper"]["id"] = "bogus"
    path = content_copy / "snapshots" / "2026-01-19.json"
    (content_copy / "snapshots" / "2026-01-19.txt").unlink()
    text = json.dumps(items, indent=2)
    path.write_text(text)
    result = run_cli("check", "--content", content_copy)
    told = [line for line in result.stderr.splitlines() if "2026-01-19.json" in line]
    assert len(told) == 2 and (f"card 1, '{shortened(items[0]['paper']['title'])}', is dated 1985-01-05, before "
                               f"arXiv's first paper (1991)") in told[0], told
    assert f"card 3, '{shortened(items[2]['paper']['title'])}', has an id that is not an arXiv id: 'bogus'" in told[1]
    assert int(told[0].split(".json:")[1].split(":")[0]) < int(told[1].split(".json:")[1].split(":")[0])
    build = run_cli("build", "--content", content_copy, "--out", content_copy.parent / "site")
    assert build.returncode == 1 and build.stderr.splitlines() == [told[1]], build.stderr
    path.unlink()

    dump = (FIXTURES / "crawl" / "2025-12-16.md").read_text()
    dump = dump.replace("[Diffusion as Shader: 3D-aware Video Diffusion for Versatile Video Generation Control]"
                        "(https://huggingface.co/papers/2501.03847)", "[](https://huggingface.co/papers/2501.03847)")
    dump = dump.replace("\nJun 16 [ 5]", "\nJun 16, 1985 [ 5]", 1)  # the third card's date
    crawl = content_copy / "snapshots" / "2025-12-16.md"
    (content_copy / "snapshots" / "2025-12-16.txt").unlink()
    crawl.write_text(dump)
    result = run_cli("check", "--content", content_copy)
    told = [line for line in result.stderr.splitlines() if "2025-12-16.md" in line]
    assert len(told) == 2 and "the heading of paper 2501.03847 has no title text" in told[0], told
    assert re.search(r"card 3, '.+', is dated 1985-06-16, before arXiv's first paper \(1991\)", told[1]), told
    mended = dump.replace("[](https://huggingface.co/papers/2501.03847)", "[Diffusion as Shader](/papers/2501.03847)")
    crawl.write_text(mended)
    build = run_cli("build", "--content", content_copy, "--out", content_copy.parent / "site")
    assert build.returncode == 1 and "is dated 1985-06-16" in build.stderr, build.stderr


def test_the_problems_of_an_api_answer_on_one_line_are_told_in_the_order_of_its_entries_by_their_titles(
        content_copy):
    """An API answer is often one line: each problem is told at line 1, so its order and the
    entry's title are what tell the entries apart: all its problems, the entries' and the cards',
    in one order before they are cut to those check tells."""
    def entry(number, **fields):
        return {"paper": {"id": f"2601.{number:05d}", "title": f"Paper {number}", "summary": "An abstract.",
                          "publishedAt": "2026-01-10", **fields}}

    path = content_copy / "snapshots" / "2026-01-20.json"
    path.write_text(json.dumps([entry(1, title="T" * 1001), entry(2, upvotes=-1), entry(3, summary="\u200b")]))
    result = run_cli("check", "--content", content_copy)
    told = [line for line in result.stderr.splitlines() if "2026-01-20.json" in line]
    assert told == [
        f"digest: error: {path}:1: card 1 has a title of 1,001 characters, where a paper's has a line or two "
        f"(digest takes up to 1,000)",
        f"digest: error: {path}:1: card 2, 'Paper 2', has upvotes -1, which is not a count (a whole number from 0 "
        f"to 999,999,999)",
        f"digest: error: {path}:1: card 3, 'Paper 3', has an abstract of invisible characters only"], result.stderr


def test_of_an_api_answer_on_one_line_with_more_problems_than_told_the_first_cards_are_told(content_copy):
    """The entries' problems came first, and were cut to those told before the cards' were placed
    among them: card 1's, a date before arXiv's, was never told."""
    items = [{"paper": {"id": f"2601.{number:05d}", "title": f"Paper {number}", "summary": "An abstract.",
                        "publishedAt": "2026-01-10"}} for number in range(1, 31)]
    items[0]["paper"]["publishedAt"] = "1970-01-01"
    for item in items[1:27]:
        item["paper"]["id"] = "bogus"
    (content_copy / "snapshots" / "2026-01-20.json").write_text(json.dumps(items))
    result = run_cli("check", "--content", content_copy)
    told = [line for line in result.stderr.splitlines() if "2026-01-20.json:1: card" in line]
    assert [line.split(": card ")[1].split(",")[0] for line in told] == [str(n) for n in range(1, 22)], result.stderr
    assert "card 1, 'Paper 1', is dated 1970-01-01" in told[0]
