"""The build: gather everything in memory first, then write.

content/ (snapshots, site.yaml, topics.yaml) -> parse -> dates -> library ->
pages -> Markdown under content/ and HTML, feeds and assets in the site folder.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from digest import __version__, urls
from digest.config import Config, load_config
from digest.dates import resolve_snapshot_dates
from digest.errors import DigestError
from digest.feeds import day_feed, feed_files, opml, topic_feed
from digest.library import build_library
from digest.models import Library, ParsedSnapshot, Snapshot
from digest.newsletter import newsletter_files
from digest.output import OutputFiles, replace_site, write_changed
from digest.progress import Progress
from digest.pages import GENERATOR, DayPage, TopicPage, day_pages, markdown_files, topic_pages
from digest.parse import decode_snapshot, parse_snapshot
from digest.render import default_templates_dir, make_environment, render_site_pages
from digest.search import search_bundle
from digest.sitemap import robots_txt, sitemap_xml

SNAPSHOT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json")
Warn = Callable[[str], None]


def build_date(environ=os.environ) -> dt.date:
    """Today for the build: from SOURCE_DATE_EPOCH when set, so builds are reproducible."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise DigestError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
    return dt.date.today()


def read_snapshot_file(path: Path, name: str | None = None) -> ParsedSnapshot:
    """Read and parse one snapshot file; ``name`` is how messages refer to it."""
    source = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror}", source) from None
    return parse_snapshot(decode_snapshot(data, source), source)


def snapshot_files(folder: Path) -> list[Path]:
    """The snapshot files of a content folder, in name order; hidden files are skipped."""
    if not folder.is_dir():
        raise DigestError("no snapshots folder", folder)
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SNAPSHOT_SUFFIXES)


def load_snapshots(content_dir: Path, today: dt.date, warn: Warn) -> list[Snapshot]:
    folder = content_dir / "snapshots"
    parsed = [read_snapshot_file(p, str(p)) for p in snapshot_files(folder)]
    return resolve_snapshot_dates(parsed, today=today, warn=warn)


@dataclass
class Loaded:
    """The content folder read and modelled: what every output is made from."""

    config: Config
    library: Library
    days: list[DayPage]
    topics: list[TopicPage]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Site:
    """Everything a build produces, in memory."""

    loaded: Loaded
    markdown: dict[str, str]  #: content-relative path -> text
    files: dict[str, bytes]  #: site-relative path -> bytes

    @property
    def library(self) -> Library:
        return self.loaded.library

    @property
    def days(self) -> list[DayPage]:
        return self.loaded.days

    @property
    def topics(self) -> list[TopicPage]:
        return self.loaded.topics


def load(content_dir: Path, *, today: dt.date | None = None, warn: Warn | None = None) -> Loaded:
    """Read configuration and snapshots and build the model and pages; nothing is rendered."""
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        if warn:
            warn(message)

    config = load_config(content_dir)
    snapshots = load_snapshots(content_dir, today or build_date(), note)
    library = build_library(snapshots, config.topics)
    return Loaded(config, library, day_pages(library), topic_pages(library), warnings)


def template_environment(templates_dir: Path | None):
    templates = templates_dir or default_templates_dir()
    if not (templates / "base.html").is_file():
        raise DigestError("not a templates folder (no base.html)", templates)
    return make_environment(templates), templates


def gather(content_dir: Path, *, templates_dir: Path | None = None, today: dt.date | None = None,
           warn: Warn | None = None, search: bool = True, progress: Progress | None = None) -> Site:
    """Read the content folder and produce every output in memory; nothing is written.

    ``search`` builds the Pagefind index and the search page."""
    progress = progress or Progress()
    with progress.stage("read the snapshots and configuration"):
        loaded = load(content_dir, today=today, warn=warn)
    config, library, days, topics = loaded.config, loaded.library, loaded.days, loaded.topics
    env, templates = template_environment(templates_dir)
    out = OutputFiles()
    with progress.stage(f"rendered pages for {len(days)} days, {len(library.papers)} papers, {len(topics)} topics"):
        pages = render_site_pages(library, days, topics, config.site, env, search=search)
        for path, html in pages.items():
            out.add(urls.output_file(path), html)
    if search:
        with progress.stage("indexed the paper pages for search"):
            out.update(search_bundle(pages, config.site.language))
    with progress.stage("wrote the feeds, sitemap and robots.txt"):
        feeds = [day_feed(days, config.site, env), *(topic_feed(topic, config.site, env) for topic in topics)]
        for feed in feeds:
            out.update(feed_files(feed, config.site))
        out.add(urls.OPML, opml(feeds, config.site))
        out.add(urls.SITEMAP, sitemap_xml(page_dates(library, pages), config.site))
        out.add(urls.ROBOTS, robots_txt(config.site))
    with progress.stage(f"made the e-mails of {len(days)} days"):
        out.update(newsletter_files(days, config, env))
    assets = templates / "assets"
    if assets.is_dir():
        for asset in sorted(p for p in assets.rglob("*") if p.is_file()):
            out.add("assets/" + asset.relative_to(assets).as_posix(), asset.read_bytes())
    with progress.stage("made the Markdown pages"):
        markdown = markdown_files(days, topics)
    return Site(loaded, markdown, out.files)


def page_dates(library: Library, pages: dict[str, str]) -> dict[str, dt.date]:
    """When each indexable page last changed: a day's page on its day, a paper's page on its last
    day; every other page with the newest day.  The 404 page is not listed."""
    newest = library.days[-1].date if library.days else dt.date(1970, 1, 1)
    changed = {urls.date_path(day.date): day.date for day in library.days}
    changed.update({urls.paper_path(p.slug): p.last_seen for p in library.papers.values()})
    return {path: changed.get(path, newest) for path in pages if path != urls.NOT_FOUND}


@dataclass(frozen=True)
class BuildResult:
    site: Site
    out_dir: Path
    markdown_changed: int


def build(content_dir: Path, out_dir: Path, *, templates_dir: Path | None = None,
          today: dt.date | None = None, warn: Warn | None = None, search: bool = True,
          progress: Progress | None = None, strict: bool = False) -> BuildResult:
    """Gather, then write the Markdown pages into ``content_dir`` and the site into ``out_dir``.

    With ``strict``, any warning fails the build before anything is written."""
    progress = progress or Progress()
    site = gather(content_dir, templates_dir=templates_dir, today=today, warn=warn, search=search,
                  progress=progress)
    if strict and site.loaded.warnings:
        count = len(site.loaded.warnings)
        raise DigestError(f"--strict: {count} warning{'s' if count > 1 else ''}, so nothing was written")
    with progress.stage(f"wrote {len(site.files)} files"):
        changed = write_changed(site.markdown, content_dir, stale_marker=f"generator: {GENERATOR}",
                                subdirs=("dates", "topics"))
        replace_site(site.files, out_dir, version=__version__)
    return BuildResult(site, out_dir, changed)
