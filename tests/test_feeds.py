"""The RSS and Atom feeds of a built site, read back with feedparser and as raw XML."""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import html
import json
import os
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup
from lxml import etree

from conftest import run_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
LIST_DAYS = [dt.date(2026, 1, 19), dt.date(2026, 1, 7), dt.date(2025, 12, 16), dt.date(2025, 11, 3)]  # newest first
NOONS = {dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.timezone.utc) for d in LIST_DAYS}
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


@pytest.fixture(scope="module")
def base_url(built_site) -> str:
    data = yaml.safe_load((built_site.parent / "content" / "site.yaml").read_text(encoding="utf-8"))
    url = data["base_url"]
    return url if url.endswith("/") else url + "/"


def all_feeds(site: Path) -> list[Path]:
    return [site / "feed.xml", site / "atom.xml"] + sorted(site.glob("topics/*/feed.xml")) + sorted(
        site.glob("topics/*/atom.xml"))


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def seed_titles(snapshot: Path) -> list[str]:
    """Titles of a text snapshot, read without digest: blocks after the list day are
    title, abstract and an optional three-line meta block with "·" in the middle."""
    blocks = [[line.strip() for line in b.split("\n") if line.strip()]
              for b in re.split(r"\n\s*\n", snapshot.read_text(encoding="utf-8"))]
    blocks = [b for b in blocks if b]
    i = next(i for i, b in enumerate(blocks)
             if len(b) == 1 and re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", b[0])) + 1
    titles = []
    while i < len(blocks):
        titles.append(blocks[i][0])
        i += 2
        if i < len(blocks) and len(blocks[i]) == 3 and blocks[i][1] == "·":
            i += 1
    return titles


def struct_to_datetime(value) -> dt.datetime:
    return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.timezone.utc)


def raw_timestamps(path: Path) -> list[tuple[str, dt.datetime]]:
    """Every date-bearing element of a feed, parsed: Atom updated/published, RSS pubDate/lastBuildDate."""
    root = etree.parse(str(path)).getroot()
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in ("updated", "published"):
            found.append((name, dt.datetime.fromisoformat(element.text.strip())))
        elif name in ("pubDate", "lastBuildDate"):
            found.append((name, email.utils.parsedate_to_datetime(element.text.strip())))
    return found


def html_bodies(path: Path) -> list[str]:
    """The HTML held by each entry of a feed (Atom content, RSS content:encoded)."""
    root = etree.parse(str(path)).getroot()
    bodies = [e.text or "" for e in root.iter(f"{{{ATOM_NS}}}content")]
    bodies += [e.text or "" for e in root.iter(f"{{{CONTENT_NS}}}encoded")]
    return bodies


# --- every feed --------------------------------------------------------------------------------


def test_every_feed_is_well_formed(built_site):
    feeds = all_feeds(built_site)
    assert len(feeds) == 2 + 2 * len(list(built_site.glob("topics/*/index.html")))
    for path in feeds:
        parsed = feedparser.parse(str(path))
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version in ("rss20", "atom10"), path
        assert parsed.entries, path


def test_every_timestamp_is_a_list_day_at_noon_utc(built_site):
    """Noon UTC: the list day itself wherever a reader is, from UTC-11 to UTC+11."""
    for path in all_feeds(built_site):
        stamps = raw_timestamps(path)
        assert stamps, path
        for name, value in stamps:
            assert value.utcoffset() == dt.timedelta(0), (path, name, value)
            assert value in NOONS, (path, name, value)
        if path.name == "atom.xml":
            # The feed is as new as its newest entry.
            root = etree.parse(str(path)).getroot()
            feed_updated = dt.datetime.fromisoformat(root.find(f"{{{ATOM_NS}}}updated").text)
            entry_updated = [dt.datetime.fromisoformat(e.find(f"{{{ATOM_NS}}}updated").text)
                             for e in root.iter(f"{{{ATOM_NS}}}entry")]
            assert feed_updated == max(entry_updated), path
            # ... and the RSS twin was last built at the same moment.
            rss = dict(raw_timestamps(path.with_name("feed.xml")))
            assert rss["lastBuildDate"] == feed_updated, path


# --- the site feeds: one entry per list day ------------------------------------------------------


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_has_one_entry_per_list_day_newest_first(built_site, base_url, name):
    parsed = feedparser.parse(str(built_site / name))
    assert not parsed.bozo
    newest = dt.datetime(2026, 1, 19, 12, tzinfo=dt.timezone.utc)
    assert struct_to_datetime(parsed.feed.updated_parsed) == newest
    assert len(parsed.entries) == 4
    for entry, day in zip(parsed.entries, LIST_DAYS):
        url = f"{base_url}dates/{day.isoformat()}/"
        assert entry.link == url
        assert entry.id == url
        assert struct_to_datetime(entry.published_parsed) == dt.datetime(day.year, day.month, day.day, 12,
                                                                         tzinfo=dt.timezone.utc)
        if name == "atom.xml":
            assert struct_to_datetime(entry.updated_parsed) == struct_to_datetime(entry.published_parsed)
        assert (built_site / "dates" / day.isoformat() / "index.html").is_file()


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_entries_list_every_paper_of_the_day(built_site, base_url, name):
    bodies = html_bodies(built_site / name)
    assert len(bodies) == 4
    content = built_site.parent / "content"
    for body, day in zip(bodies, LIST_DAYS):
        soup = BeautifulSoup(body, "html.parser")
        link_texts = {a.get_text() for a in soup.find_all("a")}
        hrefs = {a["href"] for a in soup.find_all("a", href=True)}
        titles = seed_titles(content / "snapshots" / f"{day.isoformat()}.txt")
        assert titles
        for title in titles:
            assert title in link_texts, (day, title)
            assert html.escape(title, quote=False) in body, (day, title)
        slugs = front_matter(content / "dates" / f"{day.isoformat()}.md")["papers"]
        assert len(slugs) == len(titles)
        for slug in slugs:
            assert f"{base_url}papers/{slug}/" in hrefs, (day, slug)
        assert all(h.startswith(base_url) for h in hrefs), hrefs - {h for h in hrefs if h.startswith(base_url)}


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_entries_mirror_the_days_email(built_site, name):
    """Each paper as the e-mail shows it: title, the same facts and topics, the same excerpt, the same links."""
    for body, day in zip(html_bodies(built_site / name), LIST_DAYS):
        entry = BeautifulSoup(body, "html.parser").find_all("li")
        email = BeautifulSoup((built_site / "email" / f"{day.isoformat()}.html").read_text(), "html.parser")
        cards = [cell for cell in email.find_all("td", class_="paper") if cell.find("h2")]
        assert len(entry) == len(cards) > 0
        for item, card in zip(entry, cards):
            assert item.find("strong").get_text() == card.find("h2").find("a").get_text()
            assert item.find("small").get_text() == card.find("p", class_="meta").get_text()
            assert [p.get_text() for p in item.find_all("p")][1] == card.find("p", class_="abs").get_text()
            assert [a["href"] for a in item.find_all("a")] == [a["href"] for a in card.find_all("a")]


def test_rss_channel_link_is_the_html_page(built_site, base_url):
    """RSS 2.0: the channel <link> is the URL of the HTML page the feed belongs to, not the feed."""
    pages = {built_site / "feed.xml": base_url}
    for feed in sorted(built_site.glob("topics/*/feed.xml")):
        pages[feed] = f"{base_url}topics/{feed.parent.name}/"
    wrong = {}
    for feed, page in pages.items():
        channel = etree.parse(str(feed)).getroot().find("channel")
        link = channel.find("link").text
        if link != page:
            wrong[feed.relative_to(built_site).as_posix()] = link
    assert not wrong, f"channel <link> should be the HTML page, got: {wrong}"


def test_atom_feed_links(built_site, base_url):
    parsed = feedparser.parse(str(built_site / "atom.xml"))
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"alternate": base_url, "self": f"{base_url}atom.xml"}
    assert parsed.feed.id == base_url


# --- topic feeds ---------------------------------------------------------------------------------


def test_topic_feeds_list_the_papers_of_the_topic_page(built_site, base_url):
    topics = sorted(p.parent for p in built_site.glob("topics/*/index.html"))
    assert len(topics) >= 9
    for folder in topics:
        soup = BeautifulSoup((folder / "index.html").read_text(encoding="utf-8"), "html.parser")
        articles = soup.select("main article")
        assert articles, folder
        page_links = [article.find("a", href=re.compile(r"papers/"))["href"] for article in articles]
        expected = [f"{base_url}papers/{href.rsplit('papers/', 1)[1]}" for href in page_links]
        for name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse(str(folder / name))
            assert not parsed.bozo, folder / name
            assert len(parsed.entries) == len(articles), folder / name
            assert [e.link for e in parsed.entries] == expected, folder / name
            assert [e.id for e in parsed.entries] == expected, folder / name
            titles = [a.find("a", href=re.compile(r"papers/")).get_text(strip=True) for a in articles]
            assert [e.title for e in parsed.entries] == titles, folder / name
            # The summary a reader lists an entry with is the abstract as the entry shows it, not a byline.
            for e in parsed.entries:
                summary = BeautifulSoup(e.summary, "html.parser").get_text()
                assert len(summary) > 100 and summary in BeautifulSoup(e.content[0].value, "html.parser").get_text()
        # Listed most recently trending first: RSS readers sort by pubDate, so it is that day.
        rss = feedparser.parse(str(folder / "feed.xml")).entries
        dates = [struct_to_datetime(e.published_parsed) for e in rss]
        assert dates == sorted(dates, reverse=True), folder
        atom = feedparser.parse(str(folder / "atom.xml")).entries
        assert dates == [struct_to_datetime(e.updated_parsed) for e in atom], folder


# --- golden file ---------------------------------------------------------------------------------


def test_atom_feed_matches_golden_file(built_site):
    golden = GOLDEN / "atom.xml"
    actual = (built_site / "atom.xml").read_bytes()
    if os.environ.get("DIGEST_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert golden.is_file(), "no golden file: run with DIGEST_UPDATE_GOLDEN=1 once and review it"
    assert actual == golden.read_bytes(), "atom.xml differs from tests/golden/atom.xml"


def test_an_atom_feed_of_a_site_without_an_author_names_the_site(tmp_path, content_copy):
    """RFC 4287 requires an author of the feed, or of every entry; author is optional in site.yaml."""
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    settings.pop("author")
    (content_copy / "site.yaml").write_text(yaml.safe_dump(settings))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    for path in [tmp_path / "site" / "atom.xml", *(tmp_path / "site" / "topics").glob("*/atom.xml")]:
        root = etree.parse(str(path)).getroot()
        names = root.xpath("atom:author/atom:name/text()", namespaces={"atom": "http://www.w3.org/2005/Atom"})
        assert names == [settings["title"]], path
    assert "<managingEditor>" not in (tmp_path / "site" / "feed.xml").read_text()


def test_the_authors_address_is_in_every_feed_format(tmp_path, content_copy):
    """site.yaml's author and author_email: Atom's author, RSS's managingEditor, JSON Feed's author url."""
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    (content_copy / "site.yaml").write_text(yaml.safe_dump({**settings, "author": "Jo Ann & co",
                                                            "author_email": "jo@example.org"}))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    for folder in [tmp_path / "site", *(tmp_path / "site" / "topics").glob("*/")]:
        for name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse(str(folder / name))
            assert not parsed.bozo, (folder, name)
            assert parsed.feed.author_detail == {"name": "Jo Ann & co", "email": "jo@example.org"}, (folder, name)
        data = json.loads((folder / "feed.json").read_text())
        assert data["authors"] == [{"name": "Jo Ann & co", "url": "mailto:jo@example.org"}], folder


def test_markup_in_descriptions_of_the_site_and_topics_is_text_in_every_feed(tmp_path, content_copy):
    markup = '<img src=x onerror=alert(1)> Fish & <b>chips</b>'
    for name, path in (("site.yaml", ("description",)), ("topics.yaml", ("topics", 0, "description"))):
        settings = yaml.safe_load((content_copy / name).read_text())
        target = settings
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = markup
        (content_copy / name).write_text(yaml.safe_dump(settings, allow_unicode=True))
    slug = yaml.safe_load((content_copy / "topics.yaml").read_text())["topics"][0]["slug"]
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    for folder in (tmp_path / "site", tmp_path / "site" / "topics" / slug):
        for name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse(str(folder / name))
            assert not parsed.bozo, (folder / name, parsed.bozo_exception)
            # as text, whatever type the reader takes it for: no element, the words and signs shown
            shown = parsed.feed.subtitle if parsed.feed.subtitle_detail.type == "text/plain" else \
                BeautifulSoup(parsed.feed.subtitle, "html.parser").get_text()
            assert shown == markup, (folder / name, parsed.feed.subtitle_detail)
        assert json.loads((folder / "feed.json").read_text())["description"] == markup


def test_a_topic_no_paper_matches_yet_is_dated_by_the_latest_list_day_and_says_so(tmp_path, content_copy):
    """As right after a topic is added: its feeds were dated 1 January 1970, its page said "0 papers"."""
    settings = yaml.safe_load((content_copy / "topics.yaml").read_text())
    settings["topics"].append({"slug": "quantum-knitting", "title": "Quantum knitting",
                               "rules": [{"phrase": "quantum knitting"}]})
    (content_copy / "topics.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "site" / "topics" / "quantum-knitting"
    latest = max(path.stem for path in (content_copy / "snapshots").iterdir())
    for name, field in (("feed.xml", "updated_parsed"), ("atom.xml", "updated_parsed")):
        parsed = feedparser.parse(str(folder / name))
        assert not parsed.bozo and parsed.entries == [], (name, parsed.bozo_exception)
        assert dt.date(*parsed.feed[field][:3]).isoformat() == latest, name
    page = BeautifulSoup((folder / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("p.summary").get_text().startswith("No papers yet: none of the site's papers matches")
    assert page.select("ul.papers") == []
    markdown = (content_copy / "topics" / "quantum-knitting.md").read_text(encoding="utf-8")
    assert "\nNo papers yet: none of the site's papers matches this topic.\n" in markdown
