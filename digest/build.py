"""The build: gather everything in memory first, then write.

content/ (snapshots, site.yaml, topics.yaml) -> parse -> dates -> library ->
pages -> Markdown under content/ and HTML, feeds and assets in the site folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
from digest.cache import BuildCache, cache_dir_for, code_version, folder_hash, key_of
from digest.newsletter import newsletter_paths, render_newsletter
from digest.output import REUSE, OutputFiles, check_output_folder, replace_site, write_changed
from digest.progress import Progress
from digest.pages import GENERATOR, DayPage, TopicPage, day_markdown, day_pages, topic_markdown, topic_pages
from digest.parse import decode_snapshot, parse_snapshot
from digest.render import default_templates_dir, make_environment, render_template, site_page_jobs
from digest.topics import match_topics
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


def read_snapshot_file(path: Path, name: str | None = None, cache: BuildCache | None = None) -> ParsedSnapshot:
    """Read and parse one snapshot file; ``name`` is how messages refer to it.

    With a cache, a file whose bytes were parsed before is not parsed again."""
    source = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror}", source) from None
    if cache is None:
        return parse_snapshot(decode_snapshot(data, source), source)
    return cache.parsed(data, source, lambda: parse_snapshot(decode_snapshot(data, source), source))


def snapshot_files(folder: Path) -> list[Path]:
    """The snapshot files of a content folder, in name order; hidden files are skipped."""
    if not folder.is_dir():
        raise DigestError("no snapshots folder", folder)
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SNAPSHOT_SUFFIXES)


def load_snapshots(content_dir: Path, today: dt.date, warn: Warn, cache: BuildCache | None = None) -> list[Snapshot]:
    folder = content_dir / "snapshots"
    parsed = [read_snapshot_file(p, str(p), cache) for p in snapshot_files(folder)]
    return resolve_snapshot_dates(parsed, today=today, warn=warn)


def cached_matcher(cache: BuildCache, topics):
    """match_topics, remembered across builds by the paper's text and the topic rules."""
    rules = key_of(topics)

    def match(title, abstract, configured, keywords):
        key = key_of(rules, title, abstract, keywords)
        cache.used_matches.add(key)
        found = cache.topic_matches.get(key)
        if found is None:
            found = cache.topic_matches[key] = match_topics(title, abstract, configured, keywords)
        return found

    return match


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
    markdown: dict[str, str | None]  #: content-relative path -> text (None: unchanged since the last build)
    files: dict[str, bytes | object]  #: site-relative path -> bytes, or REUSE (the last build's file)
    keys: dict[str, str] = field(default_factory=dict)  #: site path -> key of its inputs
    markdown_keys: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  #: keys of outputs made together (the search index)

    @property
    def rendered(self) -> int:
        """Files made in this build (the others are the last build's, reused)."""
        return sum(1 for data in self.files.values() if data is not REUSE)

    @property
    def library(self) -> Library:
        return self.loaded.library

    @property
    def days(self) -> list[DayPage]:
        return self.loaded.days

    @property
    def topics(self) -> list[TopicPage]:
        return self.loaded.topics


def load(content_dir: Path, *, today: dt.date | None = None, warn: Warn | None = None,
         cache: BuildCache | None = None) -> Loaded:
    """Read configuration and snapshots and build the model and pages; nothing is rendered."""
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        if warn:
            warn(message)

    config = load_config(content_dir)
    snapshots = load_snapshots(content_dir, today or build_date(), note, cache)
    library = build_library(snapshots, config.topics,
                            match=cached_matcher(cache, config.topics) if cache else match_topics)
    return Loaded(config, library, day_pages(library), topic_pages(library), warnings)


def template_environment(templates_dir: Path | None):
    templates = templates_dir or default_templates_dir()
    if not (templates / "base.html").is_file():
        raise DigestError("not a templates folder (no base.html)", templates)
    return make_environment(templates), templates


def gather(content_dir: Path, *, templates_dir: Path | None = None, today: dt.date | None = None,
           warn: Warn | None = None, search: bool = True, progress: Progress | None = None,
           cache: BuildCache | None = None, out_dir: Path | None = None) -> Site:
    """Read the content folder and produce every output in memory; nothing is written.

    ``search`` builds the Pagefind index and the search page.  With a cache and
    the previous ``out_dir``, an output whose inputs have not changed since the
    last build is not made again: it is marked REUSE."""
    progress = progress or Progress()
    with progress.stage("read the snapshots and configuration"):
        loaded = load(content_dir, today=today, warn=warn, cache=cache)
    config, library, days, topics = loaded.config, loaded.library, loaded.days, loaded.topics
    env, templates = template_environment(templates_dir)
    out = OutputFiles()

    def key(*parts) -> str:
        return cache.key(*parts) if cache else ""

    def reusable(paths, output_key: str) -> bool:
        return cache is not None and out_dir is not None and all(cache.reusable(p, output_key, out_dir) for p in paths)

    with progress.stage(f"rendered pages for {len(days)} days, {len(library.papers)} papers, {len(topics)} topics"):
        jobs = site_page_jobs(library, days, topics, config.site, search=search)
        page_keys: dict[str, str] = {}
        for job in jobs:
            path, page_key = urls.output_file(job.path), key("page", job.template, job.context)
            page_keys[job.path] = page_key
            out.add(path, REUSE if reusable([path], page_key) else render_template(env, job.template, job.context),
                    page_key)
    groups: dict[str, str] = {}
    if search:
        with progress.stage("indexed the paper pages for search"):
            indexed = sorted((path, k) for path, k in page_keys.items() if path.startswith("papers/"))
            groups["search"] = search_key = key("search", indexed, config.site.language)
            bundle = [p for p in (cache.previous.get("outputs", {}) if cache else {}) if p.startswith("pagefind/")]
            if bundle and cache.previous_key("search") == search_key and reusable(bundle, search_key):
                for path in bundle:
                    out.add(path, REUSE, search_key)
            else:
                html = {job.path: _html_of(out, urls.output_file(job.path), out_dir)
                        for job in jobs if job.path.startswith("papers/")}
                out.update(search_bundle(html, config.site.language), search_key)
    with progress.stage("wrote the feeds, sitemap and robots.txt"):
        feeds = [day_feed(days, config.site, env), *(topic_feed(topic, config.site, env) for topic in topics)]
        for feed in feeds:
            out.update(feed_files(feed, config.site))
        out.add(urls.OPML, opml(feeds, config.site))
        out.add(urls.SITEMAP, sitemap_xml(page_dates(library, page_keys), config.site))
        out.add(urls.ROBOTS, robots_txt(config.site))
    with progress.stage(f"made the e-mails of {len(days)} days"):
        for day in days:
            email_key, paths = key("email", day, config.site, config.email), newsletter_paths(day.date)
            if reusable(paths, email_key):
                for path in paths:
                    out.add(path, REUSE, email_key)
            else:
                out.update(render_newsletter(day, config, env).files(), email_key)
    assets = templates / "assets"
    if assets.is_dir():
        for asset in sorted(p for p in assets.rglob("*") if p.is_file()):
            out.add("assets/" + asset.relative_to(assets).as_posix(), asset.read_bytes())
    with progress.stage("made the Markdown pages"):
        markdown: dict[str, str | None] = {}
        markdown_keys: dict[str, str] = {}
        previous_markdown = cache.previous.get("markdown", {}) if cache else {}
        for path, make, page in [*((urls.markdown_date_page(d.date), day_markdown, d) for d in days),
                                 *((urls.markdown_topic_page(t.slug), topic_markdown, t) for t in topics)]:
            md_key = key("markdown", page)
            recorded = previous_markdown.get(path)
            unchanged = (cache is not None and isinstance(recorded, list) and recorded[0] == md_key
                         and _file_hash(content_dir / path) == recorded[1])
            markdown[path] = None if unchanged else make(page)
            markdown_keys[path] = md_key
    return Site(loaded, markdown, out.files, out.keys, markdown_keys, groups)


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _html_of(out: OutputFiles, path: str, out_dir: Path | None) -> str:
    """The HTML of a page of this build, made now or reused from the previous site."""
    data = out.files[path]
    if data is REUSE:
        assert out_dir is not None
        return (out_dir / path).read_text(encoding="utf-8")
    return data.decode("utf-8")


def page_dates(library: Library, pages) -> dict[str, dt.date]:
    """When each indexable page last changed: a day's page on its day, a paper's page on its last
    day; every other page with the newest day.  The 404 page is not listed."""
    newest = library.days[-1].date if library.days else dt.date(1970, 1, 1)
    changed = {urls.date_path(day.date): day.date for day in library.days}
    changed.update({urls.paper_path(p.slug): p.last_seen for p in library.papers.values()})
    return {path: changed.get(path, newest) for path in pages if path != urls.NOT_FOUND}


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  #: None when nothing changed since the last build
    out_dir: Path
    markdown_changed: int
    written: tuple[str, ...] = ()  #: files whose bytes were written (the others were linked from the previous site)

    @property
    def unchanged(self) -> bool:
        return self.site is None


def fingerprint(content_dir: Path, salt: str, today: dt.date) -> str:
    """A hash of every input of a build: configuration, snapshots, and the salt (code, templates, options)."""
    digest = hashlib.sha256(f"{salt}\0{today.isoformat()}".encode())
    for name in ("site.yaml", "topics.yaml"):
        path = content_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-"))
    folder = content_dir / "snapshots"
    for path in snapshot_files(folder) if folder.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def markdown_state(content_dir: Path) -> str:
    """A hash of the Markdown pages in content/dates and content/topics, to notice edits and strays."""
    digest = hashlib.sha256()
    for sub in ("dates", "topics"):
        for path in sorted((content_dir / sub).glob("*.md")):
            digest.update(f"{sub}/{path.name}".encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build(content_dir: Path, out_dir: Path, *, templates_dir: Path | None = None,
          today: dt.date | None = None, warn: Warn | None = None, search: bool = True,
          progress: Progress | None = None, strict: bool = False, clean: bool = False,
          cached: bool = True) -> BuildResult:
    """Gather, then write the Markdown pages into ``content_dir`` and the site into ``out_dir``.

    With ``strict``, any warning fails the build before anything is written.
    The build cache beside ``out_dir`` (see digest.cache) lets a build skip what
    has not changed; ``clean`` starts from an empty cache, ``cached=False``
    neither reads nor writes it.  Either way the output is the same."""
    progress = progress or Progress()
    today = today or build_date()
    check_output_folder(out_dir)  # before any work, and before the cache beside it is touched
    env_templates = templates_dir or default_templates_dir()
    cache = None
    if cached:
        salt = key_of(code_version(), search)
        templates_hash = folder_hash(env_templates)
        cache = BuildCache.load(cache_dir_for(out_dir), salt, templates_hash, clean=clean)
        inputs = fingerprint(content_dir, salt + templates_hash, today)
        if cache.unchanged(inputs, out_dir, markdown_state(content_dir)):
            return BuildResult(None, out_dir, 0)
    site = gather(content_dir, templates_dir=templates_dir, today=today, warn=warn, search=search,
                  progress=progress, cache=cache, out_dir=out_dir)
    if strict and site.loaded.warnings:
        count = len(site.loaded.warnings)
        raise DigestError(f"--strict: {count} warning{'s' if count > 1 else ''}, so nothing was written")
    with progress.stage(f"wrote {len(site.files)} files"):
        changed = write_changed(site.markdown, content_dir, stale_marker=f"generator: {GENERATOR}",
                                subdirs=("dates", "topics"))
        report = replace_site(site.files, out_dir, version=__version__,
                              previous_hash=cache.previous_hash if cache else lambda path: None)
    if cache:
        cache.outputs = {path: [site.keys.get(path, ""), digest] for path, digest in report.hashes.items()}
        # Each page's hash from its text (a page left alone keeps the hash recorded last time).
        previous = cache.previous.get("markdown", {})
        recorded = {path: [k, previous[path][1] if site.markdown[path] is None
                           else hashlib.sha256(site.markdown[path].encode("utf-8")).hexdigest()]
                    for path, k in site.markdown_keys.items()}
        cache.save(inputs, recorded, site.groups, markdown_state(content_dir))
    return BuildResult(site, out_dir, changed, tuple(report.written))
