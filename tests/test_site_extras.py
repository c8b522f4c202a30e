"""What surrounds the pages: JSON Feed, OPML, sitemap, robots.txt, link previews, favicon, charts."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup
from lxml import etree

from conftest import CONTENT, run_cli

BASE_URL = yaml.safe_load((CONTENT / "site.yaml").read_text())["base_url"].rstrip("/") + "/"


def site_file(site: Path, url: str) -> Path:
    """The file of the built site that an absolute site URL names."""
    assert url.startswith(BASE_URL), url
    path = url[len(BASE_URL):]
    return site / (path + "index.html" if path == "" or path.endswith("/") else path)


def json_feeds(site: Path) -> list[Path]:
    return [site / "feed.json", *sorted((site / "topics").glob("*/feed.json"))]


def test_json_feeds_follow_json_feed_1_1_and_match_the_atom_feeds(built_site):
    feeds = json_feeds(built_site)
    assert len(feeds) == 1 + len(list((built_site / "topics").glob("*/atom.xml")))
    for path in feeds:
        data = json.loads(path.read_text())
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert data["title"] and data["home_page_url"].startswith(BASE_URL)
        assert data["feed_url"] == BASE_URL + path.relative_to(built_site).as_posix()
        atom = feedparser.parse(path.with_name("atom.xml"))
        assert [item["id"] for item in data["items"]] == [entry.id for entry in atom.entries]
        for item in data["items"]:
            assert item["url"] == item["id"] and site_file(built_site, item["url"]).is_file()
            assert item["content_html"] and item["title"]
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T12:00:00\+00:00", item["date_published"])


def test_opml_lists_every_rss_feed(built_site):
    root = etree.parse(str(built_site / "feeds.opml")).getroot()
    outlines = root.findall("./body/outline")
    rss_files = [built_site / "feed.xml", *sorted((built_site / "topics").glob("*/feed.xml"))]
    assert len(outlines) == len(rss_files)
    for outline in outlines:
        assert outline.get("type") == "rss" and outline.get("text")
        assert site_file(built_site, outline.get("xmlUrl")).is_file()
        assert site_file(built_site, outline.get("htmlUrl")).is_file()


def test_sitemap_lists_every_page_once_with_its_date(built_site):
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = etree.parse(str(built_site / "sitemap.xml")).getroot()
    entries = {u.findtext("s:loc", namespaces=namespace): u.findtext("s:lastmod", namespaces=namespace)
               for u in root.findall("s:url", namespace)}
    pages = {p for p in built_site.rglob("index.html")}
    assert {site_file(built_site, loc) for loc in entries} == pages
    assert entries[BASE_URL + "dates/2025-12-16/"] == "2025-12-16"
    assert entries[BASE_URL] == "2026-01-19"
    # A paper's page changed last on the last day it trended.
    assert entries[BASE_URL + "papers/insights-into-deepseek-v3-scaling-challenges-and-reflections-on-hardware-for-ai/"] \
        == "2026-01-07"
    robots = (built_site / "robots.txt").read_text()
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots.splitlines()


def test_a_site_of_more_pages_than_a_sitemap_may_list_gets_several_and_an_index(built_site):
    """sitemaps.org: at most 50,000 URLs a file; here, 7 a file."""
    import datetime as dt

    from digest.config import load_config
    from digest.sitemap import sitemap_files

    site = load_config(CONTENT).site
    pages = {f"papers/p{n:02}/": dt.date(2026, 1, 1 + n) for n in range(20)}
    files = sitemap_files(pages, site, limit=7)
    assert list(files) == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.fromstring(files["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    assert [(e.findtext("s:loc", namespaces=namespace), e.findtext("s:lastmod", namespaces=namespace))
            for e in index.findall("s:sitemap", namespace)] == [
        (f"{BASE_URL}sitemap-1.xml", "2026-01-07"), (f"{BASE_URL}sitemap-2.xml", "2026-01-14"),
        (f"{BASE_URL}sitemap-3.xml", "2026-01-20")]
    listed = [loc.text for name in list(files)[1:] for loc in etree.fromstring(files[name]).iterfind(".//s:loc", namespace)]
    assert listed == [BASE_URL + path for path in sorted(pages)]
    assert list(sitemap_files(pages, site, limit=20)) == ["sitemap.xml"]


@pytest.mark.parametrize("path", ["index.html", "dates/2026-01-07/index.html", "topics/llm-inference/index.html",
                                  "papers/analyzing-modern-nvidia-gpu-cores/index.html"])
def test_pages_carry_link_preview_metadata_and_a_favicon(built_site, path):
    soup = BeautifulSoup((built_site / path).read_text(), "html.parser")

    def meta(attr, name):
        tag = soup.find("meta", attrs={attr: name})
        return tag["content"] if tag else None

    canonical = soup.find("link", rel="canonical")["href"]
    assert meta("property", "og:url") == canonical
    assert meta("property", "og:title") and meta("property", "og:description")
    assert meta("name", "twitter:card") == "summary"
    assert meta("property", "og:locale") is None  # language "en" names no territory: Open Graph's en_US
    icon = soup.find("link", rel="icon")
    assert (built_site / path).parent.joinpath(icon["href"]).resolve() == (built_site / "assets" / "favicon.svg")
    kinds = {link["type"] for link in soup.find_all("link", rel="alternate")}
    assert {"application/rss+xml", "application/atom+xml", "application/feed+json"} <= kinds


def chart_of(site: Path, slug: str):
    soup = BeautifulSoup((site / "papers" / slug / "index.html").read_text(), "html.parser")
    return soup.select_one("svg.chart")


def test_rank_chart_of_a_paper_on_three_consecutive_days(built_site):
    chart = chart_of(built_site, "insights-into-deepseek-v3-scaling-challenges-and-reflections-on-hardware-for-ai")
    assert chart["role"] == "img"
    assert chart.find("desc").get_text() == "#1 on 3 Nov 2025; #1 on 16 Dec 2025; #1 on 7 Jan 2026"
    assert len(chart.find_all("circle")) == 3
    [line] = chart.find_all("polyline")
    assert len(line["points"].split()) == 3


def test_rank_chart_breaks_the_line_on_days_the_paper_was_absent(built_site):
    # Analyzing Modern NVIDIA GPU cores: #12 on Dec 16, absent on Jan 7, #2 on Jan 19.
    chart = chart_of(built_site, "analyzing-modern-nvidia-gpu-cores")
    assert chart.find("desc").get_text() == "#12 on 16 Dec 2025; #2 on 19 Jan 2026"
    assert len(chart.find_all("circle")) == 2
    assert chart.find_all("polyline") == []  # two runs of one point each: no line joins them
    labels = [t.get_text() for t in chart.find_all("text", class_="value")]
    assert labels == ["#12", "#2"]


def test_rank_chart_labels_never_overlap_however_many_days():
    """A paper #1 for 45 days running printed "#1#1#1…" across the chart; the last two dates ran together;
    fifteen days were all dated, the dates running into each other on a phone's screen."""
    from digest.charts import DATE_GAP, FIRST_DATE_GAP, LABEL_GAP, rank_chart
    from digest.models import Appearance
    from digest.text import short_date

    for count in (2, 6, 7, 8, 9, 11, 15, 17, 45, 60, 200):
        days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(count)]
        chart = BeautifulSoup(str(rank_chart([Appearance(d, 1 + n % 13, None, None, "x.txt")
                                              for n, d in enumerate(days)], days, "c")), "html.parser")
        values = [float(t["x"]) for t in chart.find_all("text", class_="value")]
        assert values and all(b - a >= LABEL_GAP - 4 for a, b in zip(values, values[1:])), count
        assert len(chart.find_all("circle")) == count  # every day still has its marker
        dates = [t for t in chart.find_all("text", class_="axis") if not t.get_text().startswith("#")]
        assert all(float(b["x"]) - float(a["x"]) >= DATE_GAP for a, b in zip(dates, dates[1:])), count
        assert dates[-1].get_text() == short_date(days[-1])[:-5]  # the last day is always dated
        assert dates[0].get_text() == short_date(days[0])[:-5] and dates[0]["text-anchor"] == "start"
        assert len(dates) < 3 or float(dates[1]["x"]) - float(dates[0]["x"]) >= FIRST_DATE_GAP, count


def test_topics_index_has_a_trend_line_per_topic_with_its_numbers_in_words(built_site):
    soup = BeautifulSoup((built_site / "topics" / "index.html").read_text(), "html.parser")
    items = soup.select(".topic-list > li")
    assert items
    for item in items:
        spark = item.select_one("svg.spark")
        title = spark.find("title").get_text()
        counts = [int(n) for n in re.findall(r"(\d+) on \d+ \w+ \d{4}", title)]
        assert len(counts) == 4  # one number per list day
        # and in words beside the line, for those who cannot hover over it
        assert item.select_one(".trend .count").get_text() == \
            f"papers per list day: {counts[-1]} on the latest, {max(counts)} at most"
        # A topic can show no more papers on a day than the day has.
        assert all(0 <= c <= 57 for c in counts)
        slug = urlsplit(item.select_one("h2 a")["href"]).path.strip("/").split("/")[-1]
        topic_page = BeautifulSoup((built_site / "topics" / slug / "index.html").read_text(), "html.parser")
        assert max(counts) <= len(topic_page.select("article.paper")) or topic_page.select('a[rel="next"]')


@pytest.mark.parametrize("language, locale", [("en", ""), ("de", ""), ("en-GB", "en_GB"), ("en-gb", "en_GB"),
                                              ("zh-Hant", ""), ("zh-Hant-TW", "zh_TW"), ("es-419", "es_419")])
def test_open_graph_locale_is_language_and_territory_or_none(language, locale):
    """ogp.me: og:locale is language_TERRITORY, and en_US when left out."""
    from digest.render import og_locale

    assert og_locale(language) == locale


def test_a_paper_page_gives_an_author_count_as_a_count(built_site):
    """A bare "3" under "Authors" reads like a name."""
    page = BeautifulSoup((built_site / "papers" / "analyzing-modern-nvidia-gpu-cores" / "index.html").read_text(),
                         "html.parser")
    facts = dict(zip((dt.get_text() for dt in page.select("dl.facts dt")),
                     (dd.get_text() for dd in page.select("dl.facts dd"))))
    assert facts["Authors"] == "4 authors"


def test_every_landmark_of_a_page_has_a_name_of_its_own(built_site):
    for page in [built_site / "index.html", *sorted(built_site.glob("dates/*/index.html"))]:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        names = [nav.get("aria-label") for nav in soup.find_all("nav")]
        assert len(names) == len(set(names)), (page, names)


def test_a_topics_own_page_lists_every_archive_page(tmp_path, content_copy):
    """Ten "Older papers" pages, each at the bottom of a long page, were the only way to the oldest."""
    site_yaml = content_copy / "site.yaml"
    site_yaml.write_text(yaml.safe_dump({**yaml.safe_load(site_yaml.read_text()), "topic_page_size": 5}))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    topic = tmp_path / "site" / "topics" / "llm-inference"
    index = BeautifulSoup((topic / "index.html").read_text(), "html.parser").select_one("nav#archive")
    links = index.select("li a")
    archive = sorted((int(p.name) for p in (topic / "page").iterdir()), reverse=True)
    assert len(archive) > 3 and [a.get_text().split(":")[0] for a in links] == [f"Page {n}" for n in archive]
    for link, number in zip(links, archive):
        assert link["href"] == f"../../topics/llm-inference/page/{number}/"
        page = BeautifulSoup((topic / "page" / str(number) / "index.html").read_text(), "html.parser")
        assert page.find("h1").get_text().endswith(f"Archive page {number}")
        # The days the index gives are the ones the page itself gives.
        days = [dt.datetime.strptime(d, "%d %b %Y").date() for d in link.get_text().split(": ")[1].split(" to ")]
        summary = page.select_one("p.summary").get_text()
        shown = re.search(r"between (.+) and (.+), most", summary) or re.search(r"on (.+)()\.", summary)
        shown = [dt.datetime.strptime(d, "%d %B %Y").date() for d in shown.groups() if d]
        assert shown == ([days[0], days[-1]] if len(days) > 1 else days), summary


def test_the_static_folder_is_published_as_it_is_at_the_sites_root(tmp_path):
    """content/static/ holds what a host wants at the site's root (a CNAME, a .nojekyll, a
    .well-known/ file): copied as it is, but an editor's leftover; a change to it is a change to
    build for; and a file the site makes itself is not taken from it, in one line, the site kept."""
    from conftest import copy_content, tree

    content = copy_content(tmp_path / "content")
    static = content / "static"
    (static / ".well-known").mkdir(parents=True)
    (static / "CNAME").write_text("papers.example.org\n")
    (static / ".nojekyll").write_bytes(b"")
    (static / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    for leftover in ("CNAME~", ".CNAME.swx", ".~lock.CNAME#", "Thumbs.db"):  # editors', file managers'
        (static / leftover).write_text("not to publish\n")
    out = tmp_path / "site"
    build = ("build", "--content", content, "--out", out, "--no-search")
    assert run_cli(*build).returncode == 0
    assert (out / "CNAME").read_text() == "papers.example.org\n" and (out / ".nojekyll").is_file()
    assert (out / ".well-known" / "security.txt").read_text() == "Contact: mailto:a@example.org\n"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        ".digest-site", ".nojekyll", "404.html", "CNAME", "atom.xml", "feed.json", "feed.xml", "feeds.opml",
        "index.html", "robots.txt", "sitemap.xml"]
    again = run_cli(*build)
    assert again.returncode == 0 and "nothing changed" in again.stdout + again.stderr, again.stdout
    (static / "CNAME").write_text("digest.example.org\n")
    changed = run_cli(*build)
    assert changed.returncode == 0 and "(1 written)" in changed.stdout, changed.stdout
    assert (out / "CNAME").read_text() == "digest.example.org\n"
    before = tree(out)
    (static / "robots.txt").write_text("User-agent: *\n")
    for command in (build, ("check", "--content", content)):
        result = run_cli(*command)
        assert result.returncode == 1 and result.stderr.splitlines() == [
            f"digest: error: {static / 'robots.txt'}: the site makes robots.txt itself: a file of static/ cannot "
            f"take its place"], result.stderr
    assert tree(out) == before


@pytest.mark.parametrize("make, told", [
    (lambda s: (s / "dates").write_text("x"), "the site makes dates/ (a folder) itself"),
    (lambda s: ((s / "index.html").mkdir(), (s / "index.html" / "x").write_text("x")),
     "the site makes index.html (a file) itself"),
    (lambda s: ((s / "pagefind").mkdir(), (s / "pagefind" / "x.js").write_text("x")), "the site makes pagefind/ itself"),
    (lambda s: (s / "a\\b").write_text("x"), "a name no site can have"),
    (lambda s: (s / "Index.HTML").write_text("x"), "the site makes index.html itself"),  # the same on macOS
    (lambda s: (s / "Dates").write_text("x"), "the site makes dates/ (a folder) itself"),
    (lambda s: ((s / ".digest-site").mkdir(), (s / ".digest-site" / "x").write_text("x")),
     "the site makes .digest-site (a file) itself"),
    (lambda s: (s / "elsewhere").symlink_to(s.parent.parent, target_is_directory=True),
     "a link to a folder, which digest does not follow"),
])
def test_a_static_file_in_the_way_of_the_site_is_a_one_line_error_for_check_and_build(tmp_path, make, told):
    """Also where only a folder of the site's, or a file above it, is in the way: writing it
    replaced the site's day pages (or its home page) by the file, and the build went on."""
    from conftest import copy_content, tree

    content = copy_content(tmp_path / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--content", content, "--out", out).returncode == 0
    before, pages = tree(out), tree(content / "dates")
    (content / "static").mkdir()
    make(content / "static")
    for command in (("build", "--content", content, "--out", out), ("check", "--content", content)):
        result = run_cli(*command)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith(f"digest: error: {content / 'static'}/") and told in line, line
    assert tree(out) == before and tree(content / "dates") == pages
    assert not [p for p in (content / "dates").iterdir() if p.name.startswith(".")]  # no page left staged


def test_check_lists_every_problem_of_the_static_folder_and_build_the_first(tmp_path):
    from conftest import copy_content

    content = copy_content(tmp_path / "content")
    static = content / "static"
    static.mkdir()
    (static / "FEED.XML").write_text("x")
    (static / "Robots.txt").write_text("y")
    (static / "fine.txt").write_text("z")
    os.mkfifo(static / "p1")
    (static / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    result = run_cli("check", "--content", content)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if "error" in line] == [
        f"digest: error: {static / 'elsewhere'}: a link to a folder, which digest does not follow: copy the folder, "
        "or link its files one by one",
        f"digest: error: {static / 'FEED.XML'}: the site makes feed.xml itself: a file of static/ cannot take its place",
        f"digest: error: {static / 'Robots.txt'}: the site makes robots.txt itself: a file of static/ cannot take "
        "its place",
        f"digest: error: {static / 'p1'}: not a file (a pipe, a device or a broken link), so not an asset"]
    result = run_cli("build", "--content", content, "--out", tmp_path / "site")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert not (tmp_path / "site").exists()


def test_a_static_folder_that_becomes_a_file_is_published_as_one(tmp_path):
    from conftest import copy_content

    content = copy_content(tmp_path / "content")
    (content / "static" / "docs").mkdir(parents=True)
    (content / "static" / "docs" / "a.txt").write_text("1")
    out = tmp_path / "site"
    assert run_cli("build", "--content", content, "--out", out, "--no-search").returncode == 0
    shutil.rmtree(content / "static" / "docs")
    (content / "static" / "docs").write_text("2")
    for _ in range(2):  # the second into the folder the first left its old site in
        result = run_cli("build", "--content", content, "--out", out, "--no-search")
        assert result.returncode == 0, result.stderr
        assert (out / "docs").read_text() == "2"


@pytest.mark.parametrize("linked", [False, True])
def test_an_output_folder_in_the_static_folder_is_refused(tmp_path, linked):
    """Also where static/ is a link to a folder elsewhere, and --out names it either way."""
    from conftest import copy_content

    content = copy_content(tmp_path / "content")
    static = tmp_path / "published" if linked else content / "static"
    static.mkdir()
    if linked:
        (content / "static").symlink_to(static, target_is_directory=True)
    for out in {content / "static" / "site", static / "site"}:
        result = run_cli("build", "--content", content, "--out", out)
        assert result.returncode == 1 and "cannot build into this folder" in result.stderr, result.stderr
    assert list(static.iterdir()) == []
