"""Static checks of every HTML page of a built site: validity, links, resources and head metadata."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import REPO, run_cli

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LOCAL = "http://site.invalid/"  # stands for the site root when resolving relative links


def site_config(site: Path) -> dict:
    return yaml.safe_load((site.parent / "content" / "site.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base_url(built_site) -> str:
    return site_config(built_site)["base_url"].rstrip("/") + "/"


@pytest.fixture(scope="module")
def pages(built_site) -> dict[str, BeautifulSoup]:
    """Every .html file of the site: the web pages and the e-mails in email/."""
    found = {p.relative_to(built_site).as_posix(): BeautifulSoup(p.read_text(encoding="utf-8"), "lxml")
             for p in sorted(built_site.rglob("*.html"))}
    assert len(found) > 80
    return found


def page_url(relative: str) -> str:
    """The URL a page is served at: folders for index.html pages."""
    return LOCAL + (relative[: -len("index.html")] if relative.endswith("index.html") else relative)


def target_file(site: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


# --- the Nu HTML checker --------------------------------------------------------------------------


def assert_valid_html(files: list[Path]) -> None:
    """The Nu HTML checker finds no error in the files."""
    java = shutil.which("java")
    assert java, "java is not installed: the Nu HTML checker needs it (apt-get install default-jre-headless)"
    assert VNU.is_file(), f"the Nu HTML checker is missing at {VNU} (run npm install)"
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr or result.stdout)  # vnu writes its report to stderr
    assert "messages" in report, report
    errors = [m for m in report["messages"] if m.get("type") == "error"
              or (m.get("type") == "non-document-error")]
    readable = [f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m.get('message')}" for m in errors]
    assert not errors, "\n".join(readable[:50])
    assert result.returncode == 0, result.stderr[:2000]


def test_every_page_is_valid_html(built_site, pages):
    assert_valid_html([built_site / name for name in pages])


def test_topic_archive_pages_are_valid_html(tmp_path, content_copy):
    """The bundled topics fit on one page each: small pages give each an archive, and its index."""
    site_yaml = content_copy / "site.yaml"
    site_yaml.write_text(yaml.safe_dump({**yaml.safe_load(site_yaml.read_text()), "topic_page_size": 5}))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search")
    assert result.returncode == 0, result.stderr
    topics = sorted((tmp_path / "site" / "topics").glob("*/index.html"))
    archive = sorted((tmp_path / "site" / "topics").glob("*/page/*/index.html"))
    assert len(archive) > len(topics) > 3
    assert_valid_html([*topics, *archive])


# --- links -------------------------------------------------------------------------------------------


def test_every_internal_link_resolves(built_site, pages, base_url):
    # The e-mails' unsubscribe link is a configured address served elsewhere, not a page of the site.
    elsewhere = {(site_config(built_site).get("email") or {}).get("unsubscribe_url")} - {None}
    ids = {name: {tag["id"] for tag in soup.find_all(id=True)} | {a["name"] for a in soup.find_all("a", attrs={"name": True})}
           for name, soup in pages.items()}
    broken, checked = [], 0
    for name, soup in pages.items():
        here = page_url(name)
        for tag in soup.find_all(True):
            for attr in ("href", "src"):
                value = tag.get(attr)
                if value is None:
                    continue
                value = value.strip()
                assert value, (name, str(tag)[:120])
                if value in elsewhere and name.startswith("email/"):
                    continue
                if value.startswith(base_url):
                    url = LOCAL + value[len(base_url):]
                else:
                    url = urljoin(here, value)
                if not url.startswith(LOCAL):
                    continue  # another site (arXiv, the hub) or mailto:
                checked += 1
                target = target_file(built_site, url)
                if not target.is_file():
                    broken.append(f"{name}: {attr}={value!r} -> {target.relative_to(built_site)} missing")
                    continue
                fragment = urlsplit(url).fragment
                if fragment:
                    relative = target.relative_to(built_site).as_posix()
                    if relative not in ids or unquote(fragment) not in ids[relative]:
                        broken.append(f"{name}: {attr}={value!r}: no id {fragment!r} in {relative}")
    assert checked > 1000
    assert not broken, "\n".join(broken[:50])


def test_no_page_loads_resources_from_another_host(pages):
    remote = []
    for name, soup in pages.items():
        candidates = [(t, "src") for t in soup.find_all(["script", "img", "iframe", "source", "audio", "video",
                                                         "embed", "input"])]
        candidates += [(t, "href") for t in soup.find_all("link")
                       if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(t.get("rel", []))]
        candidates += [(t, "data") for t in soup.find_all("object")]
        for tag, attr in candidates:
            value = (tag.get(attr) or "").strip().lower()
            if value.startswith(("http:", "https:", "//")):
                remote.append(f"{name}: <{tag.name} {attr}={tag.get(attr)!r}>")
        for tag in soup.find_all(style=True):
            if "url(" in tag["style"] and ("http" in tag["style"] or "//" in tag["style"]):
                remote.append(f"{name}: style={tag['style']!r}")
    assert not remote, "\n".join(remote[:50])


def test_stylesheet_loads_nothing_remote(built_site):
    css = (built_site / "assets" / "style.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert "url(http" not in css.replace(" ", "") and "url(//" not in css.replace(" ", "")


# --- head metadata -----------------------------------------------------------------------------------


def test_every_page_has_lang_title_canonical_and_feeds(built_site, pages, base_url):
    web_pages = {name: soup for name, soup in pages.items() if not name.startswith("email/")}
    assert len(web_pages) > 80
    for name, soup in web_pages.items():
        html = soup.find("html")
        assert html is not None and html.get("lang") == "en", name
        title = soup.find("title")
        assert title is not None and title.get_text(strip=True), name
        canonical = soup.select('head link[rel="canonical"]')
        if name == "404.html":  # it stands for pages that are not there: no address of its own
            assert canonical == [] and soup.select('meta[property="og:url"]') == []
            continue
        assert len(canonical) == 1, name
        href = canonical[0]["href"]
        expected = base_url + (name[: -len("index.html")] if name.endswith("index.html") else name)
        assert href == expected, (name, href)
        feeds = {link.get("type"): link for link in soup.select('head link[rel="alternate"]')}
        assert "application/rss+xml" in feeds and "application/atom+xml" in feeds, name
        for link in soup.select('head link[rel="alternate"]'):
            value = link["href"]
            url = LOCAL + value[len(base_url):] if value.startswith(base_url) else urljoin(page_url(name), value)
            assert url.startswith(LOCAL), (name, value)
            assert target_file(built_site, url).is_file(), (name, value)
            assert link.get("title"), (name, value)


def test_topic_pages_advertise_their_own_feeds(pages):
    topics = [name for name in pages if name.startswith("topics/") and name.count("/") == 2]
    assert len(topics) >= 9
    for name in topics:
        hrefs = {urljoin(page_url(name), link["href"]) for link in pages[name].select('head link[rel="alternate"]')}
        folder = page_url(name)
        assert folder + "feed.xml" in hrefs and folder + "atom.xml" in hrefs, name
