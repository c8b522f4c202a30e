"""HTML rendering details: topic pagination, paper links, abstracts as HTML, and escaping."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil

import markupsafe
import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

from conftest import CONTENT, REPO, copy_content, run_cli, tree
from digest.inputs import read_snapshot_file
from digest.models import Appearance, Paper
from digest.render import _MARKDOWN, _escape, make_environment, paper_links, template_error, text_html
from digest.text import escape_markdown


def _front_matter(path):
    return yaml.safe_load(path.read_text().split("---\n")[1])


def _cards(page):
    soup = BeautifulSoup(page.read_text(), "html.parser")
    return soup, [card["id"].removeprefix("paper-") for card in soup.select("article.paper")]


def test_topic_pages_show_the_newest_papers_and_an_archive_numbered_from_the_oldest(tmp_path, content_copy):
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["topic_page_size"] = 10
    site_yaml.write_text(yaml.safe_dump(data))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr

    # The whole topic, newest first, as the bundled content's Markdown lists it (on one page of 50).
    expected = _front_matter(CONTENT / "topics" / "llm-inference.md")["papers"]
    assert len(expected) > 20, "the topic has enough papers to need several pages"
    folder = tmp_path / "site" / "topics" / "llm-inference"
    soup, main = _cards(folder / "index.html")
    assert main == expected[:10]
    assert f"{len(expected)} papers" in soup.select_one(".summary").get_text()

    oldest_first = expected[::-1]
    archive = -(-(len(expected) - 10) // 10)
    assert sorted(p.name for p in (folder / "page").iterdir()) == sorted(str(n) for n in range(1, archive + 1))
    seen, one_day = set(main), 0
    for number in range(1, archive + 1):
        page = folder / "page" / str(number) / "index.html"
        soup, cards = _cards(page)
        # A fixed slice, newest first; the newest page stops at the papers the topic's own page shows.
        assert cards == oldest_first[(number - 1) * 10: min(number * 10, len(expected) - 10)][::-1]
        assert cards and not seen & set(cards)  # no paper on two pages
        assert f"Archive page {number}" in soup.h1.get_text()
        assert str(len(expected)) not in soup.select_one(".summary").get_text()  # nothing that grows daily
        # A page of papers that last trended on one day names it once ("16 Dec 2025 to 16 Dec 2025" before).
        summary, title = soup.select_one(".summary").get_text(), soup.title.get_text()
        assert not re.search(r"between (.+) and \1,", summary)
        assert not re.search(r"trending (\S+ \S+ \S+) to \1 ", title)
        one_day += "last trended on " in summary
        newer, older = soup.select_one('a[rel="prev"]'), soup.select_one('a[rel="next"]')
        newer_target = folder / "index.html" if number == archive else folder / "page" / str(number + 1) / "index.html"
        assert (page.parent / newer["href"] / "index.html").resolve() == newer_target.resolve()
        if number == 1:
            assert older is None
        else:
            assert (page.parent / older["href"] / "index.html").resolve() == \
                (folder / "page" / str(number - 1) / "index.html").resolve()
        seen.update(cards)
    assert seen == set(expected)
    assert one_day, "an archive page holds papers of one day"
    for page in (content_copy / "topics").rglob("*.md"):  # the Markdown pages say the same
        assert not re.search(r"between (.+) and \1,", page.read_text(encoding="utf-8")), page
    older = BeautifulSoup((folder / "index.html").read_text(), "html.parser").select_one('a[rel="next"]')
    assert (folder / older["href"] / "index.html").resolve() == (folder / "page" / str(archive) / "index.html").resolve()

    # The Markdown pages are cut the same way: the topic's page, then archive pages that link onwards.
    markdown = content_copy / "topics"
    main_md = _front_matter(markdown / "llm-inference.md")
    assert main_md["papers"] == main and main_md["counts"] == {"papers": len(expected)}
    assert main_md["archive"] == [f"topics/llm-inference/page-{n}.md" for n in range(archive, 0, -1)]
    assert sorted(p.name for p in (markdown / "llm-inference").iterdir()) == \
        sorted(f"page-{n}.md" for n in range(1, archive + 1))
    for number in range(1, archive + 1):
        page = markdown / "llm-inference" / f"page-{number}.md"
        meta = _front_matter(page)
        assert meta["page"] == number and meta["generator"] == "digest"
        assert meta["papers"] == _cards(folder / "page" / str(number) / "index.html")[1]
        links = re.findall(r"\]\(([^)]+\.md)\)", page.read_text())
        assert links and all((page.parent / link).is_file() for link in links)
    assert re.search(r"\[Older papers\]\(llm-inference/page-%d\.md\)" % archive,
                     (markdown / "llm-inference.md").read_text())

    # Back to one page per topic: the archive pages and their folders go, a file written by hand stays.
    (markdown / "mixture-of-experts").mkdir(exist_ok=True)
    (markdown / "mixture-of-experts" / "page-99.md").write_text("My own notes.\n")
    data["topic_page_size"] = 50
    site_yaml.write_text(yaml.safe_dump(data))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert not (markdown / "llm-inference").exists()
    assert (markdown / "mixture-of-experts" / "page-99.md").read_text() == "My own notes.\n"
    assert _front_matter(markdown / "llm-inference.md")["papers"] == expected
    assert not (tmp_path / "site" / "topics" / "llm-inference" / "page").exists()


def _paper(arxiv_id):
    return Paper(key="k", slug="s", title="Attention & <Everything>", abstract="", organization=None,
                 authors=None, published=None, arxiv_id=arxiv_id, url=None,
                 appearances=(Appearance(dt.date(2026, 1, 1), 1, None, None, "x"),))


def test_paper_links_use_the_arxiv_id_when_known_else_title_searches():
    assert [url for _, url in paper_links(_paper("2505.09343"))] == [
        "https://arxiv.org/abs/2505.09343", "https://arxiv.org/pdf/2505.09343",
        "https://huggingface.co/papers/2505.09343"]
    searches = [url for _, url in paper_links(_paper(None))]
    assert searches == ["https://arxiv.org/search/?searchtype=title&query=Attention+%26+%3CEverything%3E",
                        "https://huggingface.co/papers?q=Attention+%26+%3CEverything%3E"]


def test_search_can_be_left_out(tmp_path, content_copy):
    result = run_cli("build", "--no-search", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert not (site / "search").exists() and not (site / "pagefind").exists()
    home = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    assert not [a for a in home.select("nav a") if a.get_text() == "Search"]


def test_only_paper_pages_are_indexed_for_search(built_site):
    for page in built_site.rglob("index.html"):
        marked = "data-pagefind-body" in page.read_text()
        assert marked == (page.parent.parent.name == "papers"), page
    # The index is in shards (the main bundle and one per older month); together they hold every paper once.
    entries = sorted((built_site / "pagefind").glob("**/pagefind-entry.json"))
    assert len(entries) >= 2
    counts = [language["page_count"] for entry in entries
              for language in json.loads(entry.read_text())["languages"].values()]
    assert sum(counts) == len(list((built_site / "papers").iterdir()))


class _Html:
    def __html__(self):
        return "<b>safe</b>"


_VALUES = st.one_of(st.text(alphabet="ab<>&'\" é\x00\ud800", max_size=20), st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False), st.text(max_size=10).map(Markup), st.just(_Html()),
                    st.dates(), st.tuples(st.text(max_size=3)))


@settings(max_examples=1000, deadline=None)
@given(_VALUES)
def test_template_escaping_is_markupsafes(value):
    """Templates escape with digest's own escape, which takes short cuts for strings, numbers and
    Markup: it must give what markupsafe's gives, as Markup."""
    escaped = _escape(value)
    assert type(escaped) is Markup and escaped == markupsafe.escape(value)


def test_every_template_escapes_its_output(tmp_path):
    """The page's template, the one it extends and the macros it imports all escape."""
    (tmp_path / "base.html").write_text("{{ a }}|{% block body %}{% endblock %}")
    (tmp_path / "macros.html").write_text("{% macro show(x) %}{{ x }}{% endmacro %}")
    (tmp_path / "page.html").write_text('{% extends "base.html" %}{% import "macros.html" as m %}'
                                        "{% block body %}{{ b }}|{{ m.show(c) }}|{{ d }}{% endblock %}")
    env = make_environment(tmp_path)
    page = env.get_template("page.html")
    assert all(env.get_template(name).root_render_func.__globals__["escape"] is _escape
               for name in ("base.html", "macros.html", "page.html"))
    assert page.render(a="<a>", b="&", c="<script>", d=Markup("<i>kept</i>")) == (
        "&lt;a&gt;|&amp;|&lt;script&gt;|<i>kept</i>")


def _through_markdown(text: str) -> str:
    return _MARKDOWN.render(escape_markdown(text))


# Markdown's own characters, HTML's, spaces of every kind, URLs and control characters, in any order.
_TRICKY_TEXT = st.lists(
    st.sampled_from(list("ab1 .\\`*_[]()<>#|~&!-+=:;'\"\t\n\x00\x01\x0b\x1f\x7f\x85\u00a0\u00ad\u200b\u200e\u2028\u2029"
                         "\u202e\ue000\u0378\ufeffé💡")
                    + ["http://", "https://x.org/", "www.", "&amp;", "1.", "1)", "---", "```", "{", "}", "%", "?q=a&b", "/é",
       "%2", "%zz", "xn--", "@", "HTTPS://X.ORG", ":80", "#frag"]),
    max_size=60).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_TRICKY_TEXT)
def test_an_abstract_as_html_is_what_markdown_makes_of_it_escaped(text):
    """The direct way (printable text, URLs and all) and Markdown agree on every text."""
    assert str(text_html(text)) == _through_markdown(text)


def test_real_abstracts_as_html_are_what_markdown_makes_of_them():
    abstracts = [card.abstract for path in sorted((CONTENT / "snapshots").iterdir()) for card in read_snapshot_file(path).cards]
    assert len(abstracts) > 80
    assert any("://" in a for a in abstracts) and any("://" not in a for a in abstracts)
    for abstract in abstracts:
        assert str(text_html(abstract)) == _through_markdown(abstract)


# --- a broken template is the user's to mend: one line naming it, and the old site kept ---------

_TEMPLATE_FAULTS = {
    "syntax": ("day.html", lambda t: t.replace("{% block content %}", "{% block content %}{% if %}", 1),
               3, "template error: Expected an expression"),
    "not UTF-8": ("topic.html", lambda t: t.encode() + b"\n\xff\xfe\n", None, "template error: not UTF-8 text"),
    "division by zero": ("paper.html", lambda t: t.replace("{% block content %}", "{% block content %}{{ 1 / 0 }}", 1),
                         2, "template error: ZeroDivisionError: division by zero"),
    "wrong type": ("day.html", lambda t: t.replace("{% block content %}", "{% block content %}{{ (3).day.x }}", 1),
                   3, "template error: 'int object' has no attribute 'day'"),
    "endless include": ("paper.html", lambda t: t + '{% include "paper.html" %}\n',
                        (REPO / "templates" / "paper.html").read_text().count("\n") + 1,
                        "template error: templates that include, extend or call each other without end"),
    "endless include in a block": ("day.html", lambda t: t.replace("{{ day_list(day, root) }}",
                                                                   '{% include "day.html" %}{{ day_list(day, root) }}'),
                                   6, "template error: templates that include, extend or call each other without end"),
    "endless extends": ("day.html", lambda t: t.replace('{% extends "base.html" %}', '{% extends "day.html" %}'),
                        1, "template error: templates that include, extend or call each other without end"),
    "missing parent": ("topic.html", lambda t: t.replace('{% extends "base.html" %}', '{% extends "gone.html" %}'),
                       1, "template error: no template 'gone.html' in the templates folder"),
}


@pytest.fixture(scope="module")
def site_with_own_templates(tmp_path_factory):
    root = tmp_path_factory.mktemp("own-templates")
    shutil.copytree(REPO / "templates", root / "templates")
    result = run_cli("build", "--content", copy_content(root / "content"), "--out", root / "site", "--templates",
                     root / "templates", "--no-search", "-q")
    assert result.returncode == 0, result.stderr
    return root, tree(root / "site")


@pytest.mark.parametrize("fault", sorted(_TEMPLATE_FAULTS))
def test_a_broken_template_fails_the_build_in_one_line_naming_it(site_with_own_templates, fault):
    root, before = site_with_own_templates
    name, breaks, line, message = _TEMPLATE_FAULTS[fault]
    template = root / "templates" / name
    kept = template.read_bytes()
    broken = breaks(kept.decode())
    template.write_bytes(broken if isinstance(broken, bytes) else broken.encode())
    try:
        result = run_cli("build", "--content", root / "content", "--out", root / "site", "--templates", root / "templates",
                         "--no-search", "-q", timeout=120)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        [error] = result.stderr.strip().splitlines()
        where = f"{template}:{line}:" if line else f"{template}:"
        assert error.startswith(f"digest: error: {where}") and message in error, error
        assert tree(root / "site") == before
    finally:
        template.write_bytes(kept)


@pytest.mark.parametrize("asset, line, kind", [("style.css", 23, "gone"), ("favicon.svg", 22, "gone"),
                                               ("style.css", 23, "folder"), ("style.css", 23, "link")])
def test_a_templates_folder_without_an_asset_its_pages_link_fails_the_build(site_with_own_templates, asset, line,
                                                                            kind):
    root, before = site_with_own_templates
    path = root / "templates" / "assets" / asset
    kept = path.read_bytes()
    path.unlink()
    if kind == "folder":
        path.mkdir()
    elif kind == "link":
        path.symlink_to(root / "nowhere")
    told = {"gone": f"{path} is missing", "folder": f"{path} is not a file",
            "link": f"{path} is a link to {str(root / 'nowhere')!r}, which is not there"}[kind]
    try:
        result = run_cli("build", "--content", root / "content", "--out", root / "site", "--templates", root / "templates",
                         "--no-search", "-q", timeout=120)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == (f"digest: error: {root / 'templates' / 'base.html'}:{line}: links assets/{asset}, "
                                 f"which the templates folder does not have ({told})\n")
        assert tree(root / "site") == before
    finally:
        if kind == "folder":
            path.rmdir()
        elif kind == "link":
            path.unlink()
        path.write_bytes(kept)


def test_the_search_script_is_needed_only_with_search(tmp_path):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "templates" / "assets" / "search.js").unlink()
    args = ("build", "--content", copy_content(tmp_path / "content"), "--out", tmp_path / "site",
            "--templates", tmp_path / "templates", "-q")
    assert run_cli(*args, "--no-search").returncode == 0
    result = run_cli(*args)
    assert result.returncode == 1 and "search.html:9: links assets/search.js," in result.stderr, result.stderr


def test_only_a_local_link_through_paths_in_a_template_the_site_uses_needs_its_asset(tmp_path):
    content = copy_content(tmp_path / "content")
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    base = templates / "base.html"
    kept = base.read_text()
    args = ("build", "--content", content, "--out", tmp_path / "site", "--templates", templates, "-q")

    def builds(*extra) -> bool:
        result = run_cli(*args, *extra)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
        return result.returncode == 0

    # The assets folder a link to a folder elsewhere: its files are there.
    shutil.move(templates / "assets", tmp_path / "shared-assets")
    (templates / "assets").symlink_to(tmp_path / "shared-assets")
    assert builds("--no-search")
    # A stylesheet from another host, a mention in a comment, a leftover copy of a template: no local link.
    (tmp_path / "shared-assets" / "style.css").unlink()
    base.write_text(kept.replace("{{ root }}{{ paths.STYLESHEET }}", "https://cdn.example.org/assets/style.css")
                    + "{# paths.STYLESHEET is on the CDN #}\n")
    (templates / "base.html.orig").write_text(kept)
    assert builds("--no-search")
    # The search script linked only when there is search: needed with search only.
    (tmp_path / "shared-assets" / "search.js").unlink()
    base.write_text(base.read_text().replace("</body>", "{% if search %}<script src=\"{{ root }}"
                                                        "{{ paths.SEARCH_SCRIPT }}\"></script>{% endif %}</body>"))
    assert builds("--no-search")
    assert not builds()
    # A link to nowhere where the favicon should be is no favicon.
    (tmp_path / "shared-assets" / "favicon.svg").unlink()
    (tmp_path / "shared-assets" / "favicon.svg").symlink_to(tmp_path / "nowhere.svg")
    result = run_cli(*args, "--no-search")
    assert result.returncode == 1 and f"{base}:22: links assets/favicon.svg," in result.stderr, result.stderr


def test_the_asset_check_follows_includes_by_expression_and_reads_paths_by_key(tmp_path):
    content = copy_content(tmp_path / "content")
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    base = templates / "base.html"
    kept = base.read_text()
    (templates / "assets" / "style.css").unlink()
    args = ("build", "--content", content, "--out", tmp_path / "site", "--templates", templates, "--no-search", "-q")
    # The link in a part that base.html includes by an expression: any template may be it.
    base.write_text(kept.replace('<link rel="stylesheet" href="{{ root }}{{ paths.STYLESHEET }}">',
                                 '{% include "he" ~ "ad.html" %}'))
    (templates / "head.html").write_text('\n<link rel="stylesheet" href="{{ root }}{{ paths["STYLESHEET"] }}">\n')
    result = run_cli(*args)
    assert result.returncode == 1 and f"{templates / 'head.html'}:2: links assets/style.css," in result.stderr, \
        result.stderr
    # A part the check reads first that is no template: the template's own error, not digest's.
    (templates / "head.html").write_text("{% if %}\n")
    result = run_cli(*args)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f"{templates / 'head.html'}:1: template error:" in result.stderr, result.stderr


def test_check_finds_a_missing_search_script_as_the_build_does(tmp_path):
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    (templates / "assets" / "search.js").unlink()
    args = ("check", "--content", copy_content(tmp_path / "content"), "--templates", templates)
    result = run_cli(*args)
    assert result.returncode == 1 and "search.html:9: links assets/search.js," in result.stderr, result.stderr
    assert run_cli(*args, "--no-search").returncode == 0  # as for a site built with --no-search


def test_the_filters_give_nothing_for_a_cards_missing_field():
    # published, comments and arxiv_id are None on many cards (see the README's list of fields).
    env = make_environment(REPO / "templates")
    shown = "[{{ v | short_date }}|{{ v | long_date }}|{{ v | weekday_date }}|{{ v | plural('comment') }}|" \
            "{{ v | excerpt(20) }}|{{ v | text_html }}|{{ v | wrap }}]"
    assert env.from_string(shown).render(v=None) == "[||||||]"
    day = dt.date(2026, 1, 19)
    assert env.from_string("{{ v | short_date }}|{{ v | weekday_date }}|{{ n | plural('comment') }}").render(
        v=day, n=2) == "19 Jan 2026|Monday, 19 January 2026|2 comments"


@pytest.mark.parametrize("source", ["{% include v %}", "{{ v > 3 }}", "{{ v | length }}", "{{ v.day }}", "{{ v + 1 }}", "{{ v[0] }}",
                                    "{{ 'a' + v }}", "{{ v | round }}", "{{ '%d' | format(v) }}"])
def test_an_error_about_a_missing_field_calls_it_empty(source):
    env = make_environment(REPO / "templates")
    with pytest.raises(Exception) as info:
        env.from_string(source).render(v=None)
    message = str(template_error(info.value, "day.html", env))
    assert "none (an empty value)" in message and "NoneType" not in message, message


def test_a_template_that_takes_a_missing_field_for_a_value_is_told_it_is_empty(site_with_own_templates):
    root, before = site_with_own_templates
    template = root / "templates" / "day.html"
    kept = template.read_text()
    template.write_text(kept.replace("{% block content %}",
                                     "{% block content %}{% for i in day.items %}{{ date_path(i.published) }}"
                                     "{% endfor %}", 1))
    try:
        result = run_cli("build", "--content", root / "content", "--out", root / "site", "--templates", root / "templates",
                         "--no-search", "-q", timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"digest: error: {template}:3: template error: AttributeError: "
                                        "none (an empty value) has no attribute 'isoformat'"), result.stderr
        assert tree(root / "site") == before
    finally:
        template.write_text(kept)


def test_a_paper_page_names_the_organizations_handle_only_where_it_differs_from_its_name(built_site):
    shown = set()
    for page in (built_site / "papers").glob("*/index.html"):
        term = BeautifulSoup(page.read_text(), "html.parser").find("dt", string="Organization")
        if term is not None:
            shown.add(term.find_next_sibling("dd").get_text(" ", strip=True))
    assert {"DeepSeek (deepseek-ai)", "Tongyi-MAI", "NVIDIA (nvidia)"} <= shown, shown
    assert not any(re.fullmatch(r"(.+) \(\1\)", text) for text in shown), shown


def test_an_include_of_an_empty_list_of_names_says_so():
    env = make_environment(REPO / "templates")
    with pytest.raises(Exception) as info:
        env.from_string("{% include v %}").render(v=[])
    assert "no template: its name is none (an empty value) or an empty list" in str(
        template_error(info.value, "day.html", env))


def test_hidden_files_a_file_manager_leaves_in_the_templates_folder_are_no_templates(tmp_path):
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    for folder in (templates, templates / "assets"):
        (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\xff\xfe" * 50)
    (templates / ".git").mkdir()
    (templates / ".git" / "index").write_bytes(b"DIRC\xff\x00")
    args = ("build", "--content", copy_content(tmp_path / "content"), "--out", tmp_path / "site",
            "--templates", templates, "--no-search", "-q")
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    # A file that is not hidden is still read as a template, and one that is not UTF-8 is an error.
    (templates / "notes.html").write_bytes(b"\xff\xfe")
    result = run_cli(*args)
    assert result.returncode == 1 and f"{templates / 'notes.html'}:1: template error: not UTF-8 text" in result.stderr


def test_a_template_file_whose_name_is_not_utf8_is_one_error_for_check_and_build(tmp_path):
    """Such a name (a Latin-1 "café") is no template any could name: check and build both say so
    in one line, where build failed in Jinja2's cache of compiled templates and check passed."""
    templates = shutil.copytree(REPO / "templates", tmp_path / "templates")
    (templates / os.fsdecode(b"notes-caf\xe9.html")).write_text("hi")
    content = copy_content(tmp_path / "content")
    for args in (("check", "--content", content), ("build", "--content", content, "--out", tmp_path / "site")):
        result = run_cli(*args, "--templates", templates, "--no-search", "-q")
        assert (result.returncode, result.stderr) == (1, f"digest: error: '{templates}/notes-caf\\udce9.html': the "
                                                         f"file name is not UTF-8 text: rename the file\n")
    assert not (tmp_path / "site").exists()


def test_compiled_templates_that_cannot_be_kept_are_no_error(tmp_path, content_copy, monkeypatch):
    """The compiled templates are only a saving of work: a full disk there was reported as an
    error of the user's base.html ("template error: OSError: No space left on device")."""
    import errno
    from jinja2.bccache import Bucket
    from digest.build import build

    def full(self, stream):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Bucket, "write_bytecode", full)
    result = build(content_copy, tmp_path / "site", search=False)
    assert (tmp_path / "site" / "index.html").is_file() and result.written
    assert not [p for p in (tmp_path / ".site.cache" / "templates").rglob("*") if p.is_file()]


def test_a_field_a_card_does_not_have_shows_nothing_in_html_and_text_templates(tmp_path):
    (tmp_path / "page.html").write_text("[{{ upvotes }}|{{ item.github }}|{{ 0 }}|{{ false }}]")
    (tmp_path / "mail.txt").write_text("[{{ upvotes }}|{{ item.github }}|{{ 0 }}]")
    env = make_environment(tmp_path)
    context = {"upvotes": None, "item": {"github": None}}
    assert env.get_template("page.html").render(context) == "[||0|False]"
    assert env.get_template("mail.txt").render(context) == "[||0]"


def test_templates_compiled_by_another_version_of_digest_are_not_used(tmp_path):
    """Jinja2 checks a compiled template against its source only: one compiled with another
    digest's options would be taken as it is."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("{{ x }}")
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    (compiled / "__jinja2_0123.cache").write_bytes(b"of a digest that kept them all in one folder")
    make_environment(tmp_path / "t", compiled, "a" * 64).get_template("page.html").render(x=1)
    assert [p.name for p in compiled.iterdir()] == ["a" * 16] and any((compiled / ("a" * 16)).iterdir())
    make_environment(tmp_path / "t", compiled, "b" * 64).get_template("page.html").render(x=1)
    assert [p.name for p in compiled.iterdir()] == ["b" * 16] and any((compiled / ("b" * 16)).iterdir())



def test_a_pipe_in_the_templates_folder_is_told_as_no_file(tmp_path, content_copy):
    """It was "no template 'fifo.html' in the templates folder", where it is."""
    import os
    from digest.build import build
    from digest.errors import DigestError
    from digest.inputs import default_templates_dir

    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    os.mkfifo(templates / "fifo.html")
    with pytest.raises(DigestError) as caught:
        build(content_copy, tmp_path / "site", templates_dir=templates, search=False)
    assert str(caught.value) == f"{templates / 'fifo.html'}: not a file (a pipe or a device), so not a template"


@pytest.mark.parametrize("name", ["day.html", "assets", "more/card.html"])
def test_a_link_to_nothing_in_the_templates_folder_is_told_as_such(tmp_path, content_copy, name):
    """It was "no template 'day.html' in the templates folder", where it is, as a broken link."""
    import os
    from digest.build import build
    from digest.errors import DigestError
    from digest.inputs import default_templates_dir

    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    link = templates / name
    link.parent.mkdir(exist_ok=True)
    shutil.rmtree(link) if link.is_dir() else link.unlink(missing_ok=True)
    os.symlink(tmp_path / "gone", link)
    with pytest.raises(DigestError) as caught:
        build(content_copy, tmp_path / "site", templates_dir=templates, search=False)
    assert str(caught.value) == f"{link}: template error: {name!r} is a link to {str(tmp_path / 'gone')!r}, which is not there"


@pytest.mark.parametrize("name", ["day.html", "assets/style.css"])
def test_a_loop_or_chain_of_links_in_the_templates_folder_is_told_as_such(tmp_path, content_copy, name):
    """A link to a link to nothing was told as a link to the second link, "which is not there"."""
    import os
    from digest.build import build
    from digest.errors import DigestError
    from digest.inputs import default_templates_dir

    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    link = templates / name
    link.unlink()
    os.symlink(link.name, link)  # to itself
    with pytest.raises(DigestError) as caught:
        build(content_copy, tmp_path / "site", templates_dir=templates, search=False)
    told = "'day.html' is" if name == "day.html" else f"{link} is"
    assert f"{told} a link in a loop of links" in str(caught.value), caught.value
    link.unlink()
    os.symlink(tmp_path / "next", link)
    os.symlink(tmp_path / "gone", tmp_path / "next")
    with pytest.raises(DigestError) as caught:
        build(content_copy, tmp_path / "site", templates_dir=templates, search=False)
    assert f"is a link to {str(tmp_path / 'gone')!r}, which is not there" in str(caught.value)


@pytest.mark.parametrize("kind", ["pipe", "device", "broken link"])
def test_an_asset_that_is_no_file_is_an_error_not_left_out(tmp_path, content_copy, kind):
    import os
    from digest.inputs import default_templates_dir

    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    out = tmp_path / "site"
    assert run_cli("build", "--content", content_copy, "--out", out, "--templates", templates).returncode == 0
    before = tree(out)
    odd = templates / "assets" / "extra.css"
    if kind == "pipe":
        os.mkfifo(odd)
    else:
        odd.symlink_to("/dev/zero" if kind == "device" else tmp_path / "nowhere")
    # Added after a build: the build sees the change, as check does.
    for command in (["build", "--out", out], ["check"]):
        result = run_cli(*command, "--content", content_copy, "--templates", templates, timeout=60)
        assert result.returncode == 1, result.stderr
        assert f"digest: error: {odd}: not a file (a pipe, a device or a broken link), so not an asset\n" \
            in result.stderr
    assert tree(out) == before


@pytest.mark.parametrize("url, shown", [
    ("https://example.org/%E2%80%AEfdp.exe%E2%80%AC/x", "\u202e"),  # a direction override, written escaped
    ("https://example.org/%1B%C2%85%0D", "\x1b"),  # control characters
    ("https://xn--80ak6aa92e.com/", "\u0430"),  # a host of Cyrillic look-alikes of "apple"
    ("https://example.org/a%20b", " b"),
])
def test_a_link_in_an_abstract_shows_its_url_as_written_not_decoded(url, shown):
    from digest.render import markdown_html, text_html
    from digest.text import escape_markdown

    for text in (f"Code at {url} now.", f"Code at {url} now.\x01"):  # the second goes through Markdown
        html = str(text_html(text))
        assert f'">{url}</a>' in html, html
        assert shown not in html.split('">', 1)[1], html
    assert str(markdown_html(escape_markdown(f"See {url}"))).count(f">{url}</a>") == 1


def test_what_an_editor_leaves_beside_an_asset_is_no_asset_and_no_change(tmp_path, content_copy):
    """Emacs's lock link (.#name, dangling), its autosave (#name#), a backup (name~), a .DS_Store:
    neither copied into the site nor a failed build; a .htaccess is an asset all the same."""
    from digest.inputs import default_templates_dir

    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    assets = templates / "assets"
    (assets / ".htaccess").write_text("Options -Indexes\n")
    out = tmp_path / "site"
    args = ("build", "--content", content_copy, "--out", out, "--templates", templates)
    assert run_cli(*args).returncode == 0
    before = tree(out)
    (assets / ".#style.css").symlink_to("root@host.1234:1700000000")
    for name in ("#style.css#", "style.css~", ".DS_Store", ".style.css.swp"):
        (assets / name).write_text("left by an editor")
    for name in ("#day.html#", "day.html~"):  # beside the templates too: no template, though no Jinja2 either
        (templates / name).write_text("{% left by an editor")
    again = run_cli(*args)
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stderr
    assert run_cli("check", "--content", content_copy, "--templates", templates).returncode == 0
    assert run_cli(*args, "--clean").returncode == 0
    assert tree(out) == before and (out / "assets" / ".htaccess").is_file()


def test_a_card_with_nothing_to_say_about_its_paper_has_no_empty_meta_line(tmp_path):
    """A card without authors, date or counts, listed where no rank or movement is shown (a topic page)."""
    content = copy_content(tmp_path / "content")
    (content / "snapshots" / "2026-01-21.txt").write_text(
        "Daily Papers\n\nJan 21\n\nA paper about nothing in particular\n\nIts abstract says very little.\n")
    result = run_cli("build", "--content", content, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    cards = [(page, card) for page in (tmp_path / "site").rglob("index.html")
             for card in BeautifulSoup(page.read_text(), "html.parser").select("article.paper")]
    bare = [card for page, card in cards if "A paper about nothing" in card.get_text() and "topics" in page.parts]
    assert bare and all(card.select_one("p.meta") is None for card in bare)
    assert len(cards) > 200 and all(meta.get_text(strip=True) for _, card in cards for meta in card.select("p.meta"))
    day = BeautifulSoup((tmp_path / "site" / "dates" / "2026-01-21" / "index.html").read_text(), "html.parser")
    assert day.select_one("article.paper p.meta").get_text(strip=True) == "new"  # on its day, its movement is said
