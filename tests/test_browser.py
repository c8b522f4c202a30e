"""The built site in headless Chromium (Debian's, driven by Playwright), served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import ARTIFACTS, REPO, copy_content, run_cli, tree

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
WIDTHS = (390, 1280)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass


@pytest.fixture(scope="module")
def server(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.is_file(), f"Chromium is missing at {CHROMIUM}: apt-get install chromium (or make system-deps)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def paths(built_site) -> dict[str, str]:
    """The pages to open: home, the latest day, a topic and the latest day's top paper."""
    meta = yaml.safe_load((built_site.parent / "content" / "dates" / "2026-01-19.md")
                          .read_text(encoding="utf-8").split("---\n")[1])
    return {"home": "", "date": "dates/2026-01-19/", "topic": "topics/llm-inference/",
            "paper": f"papers/{meta['papers'][0]}/"}


class Watch:
    """Console errors, page errors, failed requests and requests that leave 127.0.0.1 (blocked)."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.bad_status: list[str] = []
        self.loaded: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        # A request the browser cancels because the page navigated away (net::ERR_ABORTED) is not
        # a fault of the site; a missing file shows as a 404 in bad_status.
        page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"
                and self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", self._response)
        page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).hostname != "127.0.0.1":
            self.foreign.append(url)
            route.abort()
        else:
            route.continue_()

    def _response(self, response):
        self.loaded.append(response.url)
        if response.status >= 400:
            self.bad_status.append(f"{response.url}: {response.status}")

    def assert_clean(self, where: str) -> None:
        assert not self.console_errors, (where, self.console_errors)
        assert not self.foreign, (where, "requests to other hosts", self.foreign)
        assert not self.failed, (where, self.failed)
        assert not self.bad_status, (where, self.bad_status)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "date", "topic", "paper"])
def test_page_renders_cleanly(browser, server, paths, name, width):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        response = page.goto(server + paths[name], wait_until="load")
        assert response is not None and response.status == 200
        assert any(url.endswith("/assets/style.css") for url in watch.loaded), watch.loaded
        # The stylesheet applies: the header is laid out by it, not by the browser defaults.
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header .wrap')).maxWidth") != "none"
        assert page.title()
        assert page.locator("h1").count() == 1 and page.locator("h1").inner_text().strip()
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name} at {width}px: scrollWidth {overflow[0]} > {overflow[1]}"
        shot = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 5000
        watch.assert_clean(f"{name} at {width}px")
    finally:
        context.close()


def test_navigate_home_to_paper_and_back(browser, server, paths):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(server, wait_until="load")
        first = page.locator("main article.paper .paper-title a").first
        title = first.inner_text().strip()
        assert title
        first.click()
        page.wait_for_url(re.compile(re.escape(server) + r"papers/[^/]+/$"))
        assert page.url == server + paths["paper"]
        assert page.locator("h1").inner_text().strip() == title

        # From the paper to the day it trended on, through the appearances table.
        page.locator("table a", has_text="19 Jan 2026").click()
        page.wait_for_url(server + paths["date"])
        assert "19 January 2026" in page.locator("h1").inner_text()

        # Back to the topic of the paper, then home through the site navigation.
        page.locator("nav[aria-label='Site'] a", has_text="Topics").click()
        page.wait_for_url(server + "topics/")
        page.locator("main a", has_text="LLM inference and serving").first.click()
        page.wait_for_url(server + paths["topic"])
        page.locator("nav[aria-label='Site'] a", has_text="Latest").click()
        page.wait_for_url(server)
        assert page.locator("main article.paper .paper-title a").first.inner_text().strip() == title

        # The site title link and the browser's back button agree.
        page.go_back()
        page.wait_for_url(server + paths["topic"])
        page.locator(".site-title").click()
        page.wait_for_url(server)
        watch.assert_clean("navigation")
    finally:
        context.close()


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("name", ["home", "date", "topic", "paper", "search"])
def test_no_serious_accessibility_violations(browser, server, paths, name):
    """axe-core, injected into each page: no violation of serious or critical impact."""
    assert AXE.is_file(), f"axe-core is missing at {AXE} (run npm install)"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + paths.get(name, "search/"), wait_until="load")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        assert result["passes"], "axe ran its checks"
    finally:
        context.close()


def test_a_long_unbroken_name_in_a_papers_facts_wraps_on_a_phone(browser, server, paths):
    """An organization, author or keyword of 30 or more letters without a space widened the whole page."""
    context = browser.new_context(viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        page.goto(server + paths["paper"], wait_until="load")
        assert page.locator(".facts dd").count() >= 2
        page.evaluate("document.querySelectorAll('.facts dd').forEach(dd => { dd.textContent = 'W'.repeat(80); })")
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], overflow
        assert page.evaluate("document.querySelector('.facts dd').getBoundingClientRect().height") > 40  # wrapped
    finally:
        context.close()


def test_search_finds_a_seed_paper_without_any_other_host(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(server, wait_until="load")
        page.locator("nav[aria-label='Site'] a", has_text="Search").click()
        page.wait_for_url(server + "search/")
        page.locator("#search input").fill("roofline")
        result = page.locator(".pagefind-ui__result-link").first
        result.wait_for(timeout=15000)
        assert "LLM Inference Unveiled" in result.inner_text()
        result.click()
        page.wait_for_url(re.compile(re.escape(server) + r"papers/llm-inference-unveiled[^/]*/$"))
        assert page.locator("h1").inner_text().startswith("LLM Inference Unveiled")
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1]
        watch.assert_clean("search")
    finally:
        context.close()


def test_search_results_with_a_long_url_wrap_on_a_phone(browser, server):
    """A result is a flex item of Pagefind's: an abstract's 96-character GitHub URL in its excerpt
    made the search page 444 pixels wide on a 375-pixel screen."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(server + "search/?q=snowflakedb", wait_until="load")
        page.locator(".pagefind-ui__result-excerpt").first.wait_for(timeout=15000)
        assert "snowflakedb" in page.locator(".pagefind-ui__result-excerpt").first.inner_text().lower()
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], overflow
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_rank_charts_labels_stay_inside_it_whatever_the_worst_rank(browser, width):
    """Printed left of the plot, the axis labels of a paper that fell to #120 ran off the chart's
    left edge on a phone, where chart text is larger ("#120" showed as "120")."""
    from digest.charts import rank_chart
    from digest.models import Appearance

    css = (REPO / "templates" / "assets" / "style.css").read_text()
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(3)]
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        for worst in (9, 60, 120, 999, 10000, 250000):
            chart = rank_chart([Appearance(days[0], 1, None, None, "x.txt"),
                                Appearance(days[2], worst, None, None, "x.txt")], days, "c")
            page.set_content(f"<!DOCTYPE html><html><head><style>{css}</style></head><body><main>{chart}</main>"
                             "</body></html>")
            boxes = page.evaluate("[...document.querySelectorAll('svg.chart text')].map(t => { const b = t.getBBox(); "
                                  "return [t.textContent, b.x, b.x + b.width]; })")
            assert boxes and all(0 <= start and end <= 640 for _, start, end in boxes), (worst, [b for b in boxes if not 0 <= b[1] or b[2] > 640])
    finally:
        context.close()


def test_search_finds_papers_of_every_month_shard(browser, server, built_site):
    """The index is split by the month a paper was first seen; the search page merges the shards."""
    from digest.build import load

    library = load(built_site.parent / "content").library
    by_month = {}
    for paper in sorted(library.papers.values(), key=lambda p: p.title):
        by_month.setdefault(paper.first_seen.strftime("%Y-%m"), paper)
    assert len(by_month) >= 3
    merged = [p.name for p in (built_site / "pagefind").iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name)]
    assert sorted(merged) == sorted(by_month)[:-1]  # the newest month is the main bundle
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        for month, paper in sorted(by_month.items()):
            page.goto(server + "search/", wait_until="load")
            page.locator("#search input").fill(paper.title)
            page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
            titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
            assert any(paper.title in t for t in titles), (month, paper.title, titles)
            # Results link relatively, from the search page: the site may live under any path.
            links = page.locator(".pagefind-ui__result-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            assert all(re.fullmatch(r"\.\./papers/[^/]+/", link) for link in links), links
            assert f"../papers/{paper.slug}/" in links
        watch.assert_clean("search shards")
    finally:
        context.close()


def test_search_works_with_a_query_in_the_address(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + "search/?q=Megatron", wait_until="load")
        result = page.locator(".pagefind-ui__result-link").first
        result.wait_for(timeout=15000)
        assert "Megatron-LM" in result.inner_text()
        page.screenshot(path=str(ARTIFACTS / "search-1280.png"), full_page=True)
    finally:
        context.close()


_CONTRAST_JS = """([fg, bg]) => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(rgb(fg)), lum(rgb(bg))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_printed_badges_are_dark_on_white_whatever_the_screens_mode(browser, server, paths, scheme):
    """Paper is white: a screen in dark mode printed its pale badge colours on it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(server + paths["date"], wait_until="load")
        page.emulate_media(media="print", color_scheme=scheme)
        colours = page.evaluate("[...document.querySelectorAll('.badge, .rank, .who, a')].slice(0, 60)"
                                ".map(e => getComputedStyle(e).color)")
        assert colours
        for colour in colours:
            assert page.evaluate(_CONTRAST_JS, [colour, "rgb(255, 255, 255)"]) >= 4.5, colour
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_box_stands_out_from_the_page(browser, server, scheme):
    """Its edge and its placeholder, the only sign of what it is for, at 3:1 against the page."""
    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(server + "search/", wait_until="load")
        box = page.locator("#search input")
        box.wait_for(timeout=15000)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        border = box.evaluate("e => getComputedStyle(e).borderTopColor")
        placeholder = box.evaluate("e => getComputedStyle(e, '::placeholder').color")
        assert page.evaluate(_CONTRAST_JS, [border, background]) >= 3, border
        assert page.evaluate(_CONTRAST_JS, [placeholder, background]) >= 3, placeholder
        assert box.evaluate("e => getComputedStyle(e, '::placeholder').opacity") == "1"
    finally:
        context.close()


def test_a_right_to_left_title_and_abstract_read_right_to_left_wherever_they_are_shown(tmp_path, browser):
    """Pages are English (dir ltr); a title in Arabic with a Latin word at its end must still end on
    the left, in the paper's page, the day's list and the e-mail."""
    import json

    from conftest import copy_content, run_cli

    content = copy_content(tmp_path / "content")
    title = "\u0645\u0627 \u0647\u0648 \u0627\u0644\u0627\u0633\u062a\u062f\u0644\u0627\u0644\u061f (LLM)"
    abstract = "\u0646\u0642\u062f\u0645 \u0637\u0631\u064a\u0642\u0629 \u062c\u062f\u064a\u062f\u0629 (GPU)."
    (content / "snapshots" / "2026-01-20.json").write_text(json.dumps([{"paper": {
        "id": "2601.00011", "title": title, "summary": abstract, "publishedAt": "2026-01-20T00:00:00.000Z",
        "upvotes": 18, "organization": {"name": "kaust", "fullname": "\u062c\u0627\u0645\u0639\u0629 KAUST"}}}]))
    site = tmp_path / "site"
    result = run_cli("build", "--content", content, "--out", site, "--no-search", "-q")
    assert result.returncode == 0, result.stderr
    shown = {"papers/2601.00011/index.html": ("h1", ".abstract p"),
             "dates/2026-01-20/index.html": (".paper-title a", "p.abstract"),
             "email/2026-01-20.html": (".title a", ".abs")}
    page = browser.new_page()
    try:
        for path, selectors in shown.items():
            page.goto((site / path).as_uri())
            for selector in selectors:
                # Where "(" is drawn against the first Arabic letter: on its left when read right to left.
                left = page.eval_on_selector(selector, """element => {
                    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                    const text = walker.nextNode(), at = i => {
                        const range = document.createRange(); range.setStart(text, i); range.setEnd(text, i + 1);
                        return range.getBoundingClientRect().left; };
                    return [getComputedStyle(text.parentElement).direction, at(text.data.indexOf("(")), at(0)]; }""")
                assert left[0] == "rtl" and left[1] < left[2], (path, selector, left)
        # The organization's name in the e-mail's line of facts: its own direction, apart from the rest.
        page.goto((site / "email" / "2026-01-20.html").as_uri())
        facts = page.eval_on_selector_all(".meta bdi",
                                          "els => els.map(e => [e.textContent, getComputedStyle(e).direction])")
        assert facts[0] == ["\u062c\u0627\u0645\u0639\u0629 KAUST", "rtl"] and facts[1][1] == "ltr", facts
    finally:
        page.close()


MOVED_JSON = ('[{"paper": {"id": "2506.00001", "title": "Scaling Laws for Foo", "summary": "We study scaling laws '
              'for foo.", "authors": [{"name": "A"}, {"name": "B"}], "publishedAt": "2025-06-01T00:00:00.000Z", '
              '"upvotes": 5}, "numComments": 2, "submittedOnDailyAt": "2025-06-03T08:00:00.000Z"}]\n')


def test_a_link_to_a_papers_id_still_leads_to_it_after_an_older_day_renames_its_page(browser, tmp_path):
    """A paper first seen with its arXiv id has its page at papers/<id>/; a snapshot of an older day
    that shows it without the id, added later, names its page by its title.  The id's address, which
    e-mails and feeds sent before link to, then leads to the page: in a browser, not for search engines."""
    from test_html import assert_valid_html

    content = copy_content(tmp_path / "content")
    for snapshot in (content / "snapshots").iterdir():
        snapshot.unlink()
    (content / "snapshots" / "2025-06-03.json").write_text(MOVED_JSON)
    site = tmp_path / "site"
    assert run_cli("build", "--content", content, "--out", site, "--no-search").returncode == 0
    assert (site / "papers" / "2506.00001" / "index.html").read_text().count("<h1") == 1
    (content / "snapshots" / "2025-06-02.txt").write_text(
        "Daily Papers\n\nJun 2\n\nScaling Laws for Foo\n\nWe study scaling laws for foo.\n\n  • 2 authors\n·\nJun 1\n")
    result = run_cli("build", "--content", content, "--out", site, "--no-search")
    assert result.returncode == 0, result.stderr
    moved, page = site / "papers" / "2506.00001" / "index.html", site / "papers" / "scaling-laws-for-foo" / "index.html"
    assert "<h1" not in moved.read_text() and "Scaling Laws for Foo" in page.read_text()
    assert_valid_html([moved])
    sitemap = (site / "sitemap.xml").read_text()
    assert "/papers/scaling-laws-for-foo/" in sitemap and "/papers/2506.00001/" not in sitemap
    clean = tmp_path / "clean"
    assert run_cli("build", "--content", content, "--out", clean, "--no-search", "--clean").returncode == 0
    assert tree(site) == tree(clean)

    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context()
    try:
        tab = context.new_page()
        watch = Watch(tab)
        root = f"http://127.0.0.1:{httpd.server_address[1]}/"
        tab.goto(root + "papers/2506.00001/", wait_until="load")
        tab.wait_for_url(root + "papers/scaling-laws-for-foo/", timeout=10000)
        assert tab.locator("h1").inner_text().startswith("Scaling Laws for Foo")
        watch.assert_clean("the page at the id's address")
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
