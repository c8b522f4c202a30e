"""The build: read and model the content, make every output, swap the new site in.

content/ (snapshots, site.yaml, topics.yaml) -> parse -> dates -> library ->
pages -> Markdown under content/ and HTML, feeds and assets in the site folder.
Each file is placed in the new site folder as soon as it is made; the
Markdown pages are staged beside the old ones; both replace the old only
once everything succeeded.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import signal
import threading
from collections.abc import Callable, Iterable, Sequence, Set as AbstractSet
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from digest import __version__, urls
from digest.config import Config, add_setting_lines, load_config
from digest.dates import after_today_warning, filename_date, resolve_snapshot_dates
from digest.files import read_bounded
from digest.errors import ConfigError, DigestError, strict_error
from digest.feeds import EPOCH, day_feed, feed_files, opml, topic_feed
from digest.keys import OutputKeys
from digest.archive import Changes, Model, extended_model, model_from_record, model_record, whole_model
from digest.library import EMPTY, build_library, extend_library, moved_papers
from digest.models import Library, ParsedSnapshot, Snapshot
from digest.cache import (MODEL, BuildCache, build_lock, cache_dir_for, code_version, file_sha256, folder_hash,
                          hidden_template_name, key_of, waiting_note)
from digest.inputs import (Checked, with_bytes, build_date, build_salt, check_page_folders, default_templates_dir,
                           manifest_stamp, markdown_hashes, markdown_page_files, markdown_record, markdown_state,
                           no_snapshots_warning, read_inputs, read_snapshots, STATIC, static_files,
                           repeat_warnings, snapshot_sources, staged_page_files, unread_files, unread_warning,
                           misplaced_snapshots, misplaced_warning)
from digest.newsletter import newsletter_paths, render_newsletter
from digest.output import (MARKER, REUSE, Placed, SiteWriter, check_output_apart, check_output_folder,
                           check_relative_path, discard_staged, pages_in_the_way, pages_lock, refuse_own_page,
                           remove_left_by_a_build, stage_text, staged_committed)
from digest.parallel import available_cores, ordered_map
from digest.progress import Progress
from digest.pages import (DayPage, TopicPage, at_its_own_name, day_markdown, day_pages, slice_ranges, topic_markdown,
                          topic_pages, topic_slices)
from digest.parse import parse_snapshot_bytes
from digest.render import (PageJob, check_linked_assets, link_to_nothing, load_template, make_environment,
                           render_template, site_page_jobs, template_names)
from digest.topics import RULES_FILE, MatchBudget, match_topics
from digest.search import BUNDLE, SearchIndexing, bundle_path, check_indexable, prune_copies
from digest.sitemap import robots_txt, sitemap_files
from digest.text import plural

Warn = Callable[[str], None]

# Fewest items for which a stage uses worker processes (see digest.parallel.MIN_ITEMS): parsing a
# snapshot or making a day's e-mail costs 5-15 ms, a day's or topic's page or Markdown file 2-5 ms.
PER_SNAPSHOT, PER_LIST = 16, 48


def load_snapshots(content_dir: Path, today: dt.date, warn: Warn, cache: BuildCache | None = None,
                   jobs: int | None = None) -> list[Snapshot]:
    """Parse and date every snapshot; with a cache, only files whose bytes are new are parsed."""
    return parse_and_date(read_snapshots(content_dir), today, warn, cache, jobs)


def parse_and_date(files: list[tuple[str, bytes]], today: dt.date, warn: Warn, cache: BuildCache | None = None,
                   jobs: int | None = None, notes: list[tuple[str, str]] | None = None,
                   date_notes: list[tuple[str, str]] | None = None) -> list[Snapshot]:
    """Parse and date these snapshot files together; with a cache, only files whose bytes are new
    are parsed.  The warnings about the snapshots' cards are added to ``notes`` too, those of
    cards published after their list day to ``date_notes``, each with its snapshot's source."""
    parsed = parse_files(files, cache, jobs)
    for snapshot in parsed:
        for note in snapshot.notes:
            warn(note)
        if notes is not None:
            notes.extend((snapshot.source, note) for note in snapshot.notes)
    return resolve_snapshot_dates(parsed, today=today, warn=warn, notes=date_notes)


def parse_files(files: list[tuple[str, bytes]], cache: BuildCache | None = None,
                jobs: int | None = None) -> list[ParsedSnapshot]:
    """The snapshot files parsed, in their order; with a cache, only files whose bytes are new."""
    parsed = [cache.parsed(data, source) if cache else None for source, data in files]
    missing = [i for i, result in enumerate(parsed) if result is None]
    for i, result in zip(missing, ordered_map(
            lambda i: parse_snapshot_bytes(files[i][1], files[i][0]), missing, jobs,
            min_items=PER_SNAPSHOT)):
        parsed[i] = result
        if cache:
            cache.remember_parsed(files[i][1], files[i][0], result)
    return parsed


def topic_matcher(cache: BuildCache | None, jobs: int | None = None, *, look_up: bool = True,
                  rules_file: Path | None = None):
    """``match_each`` for ``build_library``, spread over worker processes and, with a cache,
    remembered across builds by the paper's text and the topic rules.  Without ``look_up`` the
    papers are matched without reading what earlier builds matched (a day's new papers: they
    are new), and only remembered.  Errors about the rules name ``rules_file``."""

    budget = MatchBudget()  # each worker process charges its own copy

    def match_one(text, topics):
        title, abstract, keywords = text
        try:
            return match_topics(title, abstract, topics, keywords, budget)
        except DigestError as error:
            if rules_file is None or error.path != RULES_FILE:
                raise
            located = ConfigError(error.message, rules_file, key=getattr(error, "key", None))
            add_setting_lines([located], rules_file)  # a rule of an alias: the line of the alias
            raise located from None

    def match_all(texts, topics):
        if cache is None:
            return list(ordered_map(lambda text: match_one(text, topics), texts, jobs))
        rules = key_of(topics)
        keys = [key_of(rules, *text) for text in texts]
        known = cache.topic_matches if look_up else {}
        missing = {k: text for k, text in zip(keys, texts) if k not in known}
        new = dict(zip(missing, ordered_map(lambda text: match_one(text, topics), list(missing.values()), jobs)))
        cache.remember_matches(new)
        cache.used_matches.update(keys)
        return [new[k] if k in new else known[k] for k in keys]

    return match_all


@dataclass
class Loaded:
    """The content folder read and modelled: what every output is made from."""

    config: Config
    library: Library
    days: list[DayPage]
    topics: list[TopicPage]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MarkdownPage:
    key: str  #: key of the page data it was made from ("" without a cache)
    sha256: str
    staged: Path | None  #: the new text, waiting beside the file to replace it (None: unchanged)


@dataclass
class Site:
    """What a build produced: the model, and a record of every file placed in the new site."""

    loaded: Loaded
    files: dict[str, Placed]  #: site-relative path -> how it was placed
    markdown: dict[str, MarkdownPage]  #: content-relative path -> Markdown page
    model: Model | None = None  #: what the next build can extend (digest.archive)
    shard_keys: dict[str, str] = field(default_factory=dict)  #: search bundle -> key of what it indexes

    @property
    def library(self) -> Library:
        return self.loaded.library

    @property
    def days(self) -> list[DayPage]:
        return self.loaded.days

    @property
    def topics(self) -> list[TopicPage]:
        return self.loaded.topics


class _Notes:
    """The warnings of loading a content folder: kept (for the cache, and --strict), and told to
    ``warn`` as they come."""

    def __init__(self, warn: Warn | None):
        self.warnings: list[str] = []
        self.warn = warn

    def __call__(self, message: str) -> None:
        self.warnings.append(message)
        if self.warn:
            self.warn(message)


def _loaded(config: Config, library: Library, warnings: list[str]) -> Loaded:
    return Loaded(config, library, day_pages(library), topic_pages(library), warnings)


def load(content_dir: Path, *, today: dt.date | None = None, warn: Warn | None = None,
         cache: BuildCache | None = None, jobs: int | None = None) -> Loaded:
    """Read configuration and snapshots and build the model and pages; nothing is rendered."""
    note = _Notes(warn)

    config = load_config(content_dir)
    note_unread_files(content_dir, note)
    snapshots = load_snapshots(content_dir, today or build_date(), note, cache, jobs)
    if not snapshots:
        note(no_snapshots_warning(content_dir / "snapshots"))
    library = build_library(snapshots, config.topics,
                            match_all=topic_matcher(cache, jobs, rules_file=content_dir / "topics.yaml"))
    return _loaded(config, library, note.warnings)


def note_unread_files(content_dir: Path, note: Warn) -> None:
    """A warning for each file of the snapshots folder that is not read (see inputs.unread_files),
    and for each snapshot saved beside that folder (see inputs.misplaced_snapshots)."""
    for path in unread_files(content_dir / "snapshots"):
        note(unread_warning(path))
    for path in misplaced_snapshots(content_dir):
        note(misplaced_warning(path))


def model_salt(content_dir: Path) -> str:
    """What a saved model is only good for: this digest and this configuration."""
    # The model keeps its snapshots' warnings, which name them by the content folder's path as given.
    parts = [code_version(), str(content_dir)]
    for name in ("site.yaml", "topics.yaml"):
        path = content_dir / name
        parts.append(file_sha256(path) if path.is_file() else "-")
    return key_of(*parts)


def load_model(content_dir: Path, *, today: dt.date | None = None, warn: Warn | None = None,
               cache: BuildCache | None = None, jobs: int | None = None,
               snapshots: tuple[list[tuple[str, bytes | None]], tuple[tuple[str, str], ...]] | None = None,
               config: Config | None = None) -> tuple[Loaded, Model, Changes | None]:
    """``load``, with the model of the last build kept in the cache: when the snapshots are that
    build's plus new ones named by later days, its model is extended by those days, and the
    changes say what is new (see digest.archive); else the model is made from every snapshot
    and there are no changes to tell (None).  ``config`` is the content folder's, where the caller has it."""
    note = _Notes(warn)

    today = today or build_date()
    config = config or load_config(content_dir)
    note_unread_files(content_dir, note)
    if snapshots is None:
        files = read_snapshots(content_dir)
        snapshots = files, snapshot_sources(files)
    files, sources = snapshots  # bytes may be None: files the last build read, unchanged
    if not files:
        note(no_snapshots_warning(content_dir / "snapshots"))
    salt = model_salt(content_dir)
    previous = model_from_record(cache.model_record(), salt) if cache else None
    rules = content_dir / "topics.yaml"
    extended = _extended(previous, files, sources, config, today, note, cache, jobs, rules) if previous else None
    if extended is None:
        notes: list[tuple[str, str]] = []
        date_notes: list[tuple[str, str]] = []
        snapshots = parse_and_date(with_bytes(files), today, note, cache, jobs, notes, date_notes)
        state = extend_library(EMPTY, snapshots, config.topics,
                               match_all=topic_matcher(cache, jobs, rules_file=rules)).state
        named = all(s.date_source == "filename" for s in snapshots)
        model, changes = whole_model(state, sources, named, notes, date_notes), None
    else:
        model, changes = extended
        cache.pruning = False  # the older snapshots were not read: keep what the cache has of them
    library = model.library
    return _loaded(config, library, note.warnings), model, changes


def _extended(previous: Model, files, sources, config: Config, today: dt.date, warn: Warn,
              cache: BuildCache | None, jobs: int | None, rules: Path) -> tuple[Model, Changes] | None:
    """The previous model extended by the new snapshots, if they are all that changed and are
    named by days after its last; else None.  ``rules`` is the topics.yaml it names in errors."""
    known = dict(previous.sources)
    present = dict(sources)
    if not previous.named or any(present.get(source) != sha for source, sha in known.items()):
        return None  # a snapshot was edited or removed, or one was dated by others
    new = [(source, data) for source, data in files if Path(source).name not in known]
    if any(filename_date(source) is None for source, _ in new):
        return None
    # The warnings are told as a build reading every snapshot tells them (once the model is
    # extended: where it cannot be, every snapshot is read again, and tells them): each file's
    # warnings as it is read, then file by file, those of its dates.  Of the files not read
    # again, as the model keeps them, and those that depend on the day of the build, which it
    # does not.  A parse error comes before any (as all files are read before any is told of).
    parsed = parse_files(with_bytes(new), cache, jobs)
    notes = [(snapshot.source, note) for snapshot in parsed for note in snapshot.notes]
    read_notes = _in_file_order(files, [*previous.notes, *notes])
    date_notes: list[tuple[str, str]] = []
    told: list[str] = []
    try:
        snapshots = resolve_snapshot_dates(parsed, today=today, warn=told.append, notes=date_notes)
    except DigestError:
        _tell(warn, read_notes)
        raise
    dates = {snapshot.source: (snapshot.date, snapshot.date_source) for snapshot in snapshots}
    date_told = []
    for source, notes_of_file in _by_file(files, [*previous.date_notes, *date_notes]):
        date, how = dates.get(source, (filename_date(source), "filename"))
        late = after_today_warning(source, date, how, today)
        date_told += [*notes_of_file, *([late] if late is not None else [])]
    others = [note for note in told if note not in date_told]  # none, where every file is named by its day
    in_order = [*read_notes, *others, *date_told]
    try:
        extension = extend_library(previous.state, snapshots, config.topics,
                                   match_all=topic_matcher(cache, jobs, look_up=False, rules_file=rules))
    except DigestError:
        _tell(warn, in_order)
        raise
    if extension is None:
        return None
    _tell(warn, in_order)
    return extended_model(previous, extension.state, extension.papers, extension.days, sources, named=True,
                          notes=notes, date_notes=date_notes)


def _by_file(files, notes: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Each file's source with its ``notes`` (source, note), in the files' order."""
    found: dict[str, list[str]] = {}
    for source, note in notes:
        found.setdefault(source, []).append(note)
    return [(source, found.get(source, [])) for source, _ in files]


def _in_file_order(files, notes: list[tuple[str, str]]) -> list[str]:
    return [note for _, of_file in _by_file(files, notes) for note in of_file]


def _tell(warn: Warn, notes: list[str]) -> None:
    for note in notes:
        warn(note)


#: A style sheet, script or image of the templates; far larger is a mistake, not an asset.
MAX_ASSET_BYTES = 20 * 1024 * 1024


def read_asset(path: Path) -> bytes:
    """An asset's bytes; DigestError for one too large, or not readable."""
    if not path.is_file():  # which a link to /dev/zero is not either
        raise DigestError("not a file (a pipe, a device or a broken link), so not an asset", path)
    try:
        data = read_bounded(path, MAX_ASSET_BYTES)
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror or error}", path) from None
    if len(data) > MAX_ASSET_BYTES:
        raise DigestError(f"asset larger than {MAX_ASSET_BYTES // (1024 * 1024)} MB", path)
    return data


def template_environment(templates_dir: Path | None, compiled: Path | None = None):
    templates = templates_dir or default_templates_dir()
    if not (templates / "base.html").is_file():
        base = templates / "base.html"
        broken = templates.is_dir() and (link_to_nothing(base) or ("not a file" if base.exists() else None))
        if broken:
            raise DigestError(f"template error: 'base.html' is {broken}", base)
        what = ("no such templates folder" if not templates.exists() and not templates.is_symlink()
                else "not a folder" if not templates.is_dir() else "not a templates folder (no base.html)")
        raise DigestError(f"{what}: give --templates a folder that holds base.html, or leave it out for digest's own",
                          templates)
    return make_environment(templates, compiled, code_version()), templates


def gather(content_dir: Path, *, templates_dir: Path | None = None, today: dt.date | None = None,
           warn: Warn | None = None, search: bool = True, progress: Progress | None = None,
           cache: BuildCache | None = None, writer: SiteWriter | None = None, jobs: int | None = None,
           strict: bool = False, markdown_files: dict[str, str] | None = None,
           snapshots: tuple[list[tuple[str, bytes | None]], tuple[tuple[str, str], ...]] | None = None,
           search_page: bool | None = None, page_problems: list[str] | None = None,
           config: Config | None = None) -> Site:
    """Read the content folder and make every output, placing each file with ``writer`` as it is made.

    Without a writer it is a dry run: everything is made and checked, nothing
    written.  With a cache, an output whose inputs have not changed since the
    last build is not made again: the previous site's file is linked.  When the
    model of the last build was extended by new days (see digest.archive),
    outputs of the papers and days that did not change are not even looked at.
    New Markdown pages are staged beside the old ones (see ``staged_committed``).
    ``jobs`` is the number of worker processes (default: one per core for
    large sites).  With ``strict``, any warning stops the build before anything is made.
    ``markdown_files`` is ``markdown_hashes(content_dir)`` and ``snapshots`` is
    ``read_snapshots(content_dir)`` and their ``snapshot_sources`` when the caller has them already.
    ``search_page`` says whether the site would have a search page, where that is not ``search``
    (``digest check`` makes no search index, but checks what a search page needs).
    With ``page_problems`` (a list), a file of the user's where a Markdown page goes is added to it,
    as its message, before anything is rendered, and the build goes on (``digest check`` lists
    every one).  ``config`` is the content folder's, where the caller has it."""
    progress = progress or Progress()
    writer = writer or SiteWriter(None)
    with progress.stage("read the snapshots and configuration"):
        loaded, model, changes = load_model(content_dir, today=today, warn=warn, cache=cache, jobs=jobs,
                                            snapshots=snapshots, config=config)
    if strict and loaded.warnings:
        raise strict_error(len(loaded.warnings))
    config, library, days, topics = loaded.config, loaded.library, loaded.days, loaded.topics
    if page_problems is not None:  # every page in the way, before templates or rendering stop at their first problem
        every_page = _markdown_jobs(topics, days, config.site.topic_page_size, lambda slug, number: True)
        page_problems.extend(pages_in_the_way(content_dir, (path for path, _, _ in every_page)))
    env, templates = template_environment(templates_dir, cache.folder / "templates" if cache else None)
    for name in template_names(env):
        load_template(env, name)  # compiled once here, not once in every worker
    if markdown_files is None:
        markdown_files = markdown_hashes(content_dir) if cache else {}
    reuse = _Reuse.of(cache, writer, model, markdown_files)
    # The last build's outputs of what did not change are kept unseen only if it made them with
    # these templates (the model being extended says the rest of the inputs are the same).
    carry = changes if (changes is not None and reuse.previous_outputs and writer.previous is not None
                        and reuse.same_templates) else None
    day_list = [(fact.brief, dict(fact.topic_counts)) for fact in model.days]
    moved = moved_papers({key: fact.slug for key, fact in model.papers.items()})
    make_day, make_paper, make_slice = (lambda index: True), (lambda key: True), (lambda slug, number: True)
    if carry is not None:
        make_day, make_paper, make_slice = _kept_or_made(reuse.kept, carry, model, config.site.topic_page_size,
                                                         moved)
    # Days whose pages, e-mails and Markdown are made: the others' are the last build's.
    made_days = [days[i] for i in range(len(days)) if make_day(i)]
    if reuse.keys:
        reuse.keys.remember_days(made_days)  # here, so that every worker process has them
    make = _Makers(env, config, content_dir, reuse, told_pages=page_problems is not None)

    def markdown_jobs() -> list[tuple[str, Callable, object]]:
        return _markdown_jobs(topics, made_days, config.site.topic_page_size, make_slice)

    search = search and bool(library.papers)  # nothing to search: no search page
    search_page = search if search_page is None else search_page and bool(library.papers)
    # The last build checked these templates (their hash covers assets/), with a search page if it had one.
    templates_checked = reuse.same_templates and (not search_page
                                                  or urls.output_file(urls.SEARCH) in reuse.previous_outputs)
    if not templates_checked:
        check_linked_assets(env, search_page=search_page)
    # The shards are known wherever there is a search page (check renders it without indexing them).
    shards = shard_members(model) if search_page else {}
    with ExitStack() as background:
        with progress.stage(f"rendered pages for {plural(len(days), 'day')}, {plural(len(library.papers), 'paper')}, "
                            f"{plural(len(topics), 'topic')}"):
            pages = site_page_jobs(library, days, topics, config.site, day_list, search=search_page,
                                   last_seen=lambda topic, index: _last_seen(model, topic, index),
                                   merged_indexes=[b for b in shards if b != f"{BUNDLE}/"],
                                   make_day=make_day, make_paper=make_paper, make_slice=make_slice, moved=moved)
            # Paper pages first: the search index is made from them, in the background, while the rest is made.
            papers = [job for job in pages if job.template == "paper.html"]
            if search_page and papers and not templates_checked:
                check_indexable(render_template(env, "paper.html", papers[0].data()),
                                env.get_template("paper.html").filename)
            for path, placed in ordered_map(make.page, papers, jobs):
                writer.adopt(path, placed)
            indexing, shard_keys = (search_shards(shards, library, config, reuse, carry,
                                                  workers=jobs or available_cores(),
                                                  own_paper_page=_own_template(env, "paper.html"))
                                    if search else (None, {}))
            if indexing is not None:
                background.enter_context(indexing)
            for path, placed in ordered_map(make.page, [job for job in pages if job.template != "paper.html"], jobs,
                                            min_items=PER_LIST):
                writer.adopt(path, placed)
        with progress.stage("wrote the feeds, sitemap and robots.txt"):
            write_feeds_and_maps(writer, model, days, topics, config, env, cache, reuse.key,
                                 not_pages={urls.paper_path(slug) for slug in moved.values()})
        with progress.stage(f"made the e-mails of {plural(len(made_days), 'day')}"):
            for placed in ordered_map(make.email, made_days, jobs, min_items=PER_SNAPSHOT):
                for path, file in placed:
                    writer.adopt(path, file)
        copy_assets(templates, writer)
        # Before the Markdown pages are staged: a static file in the way leaves none behind.
        copy_static(content_dir, writer, reserved=(BUNDLE,) if search_page else (), problems=page_problems)
        markdown: dict[str, MarkdownPage] = dict(reuse.kept_markdown)

        def discard_pages() -> None:
            """Remove the pages staged so far: also those a worker staged before the build stopped,
            whose results never came back (this build holds the lock of the pages' folders)."""
            discard_staged({path: page.staged for path, page in markdown.items() if page.staged})
            if writer.root is not None:
                remove_left_by_a_build(staged_page_files(content_dir))

        with progress.stage("made the Markdown pages"):
            try:
                for path, page in ordered_map(make.markdown, markdown_jobs(), jobs, min_items=PER_LIST):
                    markdown[path] = page
            except BaseException:
                discard_pages()
                raise
        if indexing is not None:
            with progress.stage(f"indexed the paper pages for search ({len(indexing.shards)} of {len(shards)} "
                                f"month shards)"):
                try:
                    if cache:  # while Pagefind works: what the cache keeps of this build
                        cache.pickle_ahead()
                        if changes is not None:
                            # An extended model's record is mostly the last one's bytes, so it costs
                            # little memory beside Pagefind's; a whole new model's waits until Pagefind is done.
                            cache.pickle_model(model_record(model, model_salt(content_dir)))
                    for bundle, bundle_files in indexing.result().items():
                        writer.update(bundle_files, shard_keys[bundle])
                except BaseException:
                    discard_pages()
                    raise
    return Site(loaded, writer.files, dict(sorted(markdown.items())), model, shard_keys)


@dataclass
class _Reuse:
    """What this build may take from the last one instead of making it again: a file of its site
    (linked, not written) or a Markdown page, where the key of what it was made from is the same."""

    cache: BuildCache | None
    writer: SiteWriter
    keys: OutputKeys | None
    markdown_files: dict[str, str]  #: content path -> SHA-256 of each Markdown page there now
    previous_outputs: dict[str, list[str]]
    previous_markdown: dict[str, list[str]]
    kept_markdown: dict[str, MarkdownPage] = field(default_factory=dict)  #: the last build's pages, taken

    @classmethod
    def of(cls, cache: BuildCache | None, writer: SiteWriter, model: Model, markdown_files: dict[str, str]) -> _Reuse:
        if cache is None:
            return cls(None, writer, None, markdown_files, {}, {})
        keys = OutputKeys(key_of(cache.salt, cache.templates), {k: f.listing for k, f in model.papers.items()})
        return cls(cache, writer, keys, markdown_files, cache.previous.get("outputs", {}),
                   cache.previous.get("markdown", {}))

    @property
    def same_templates(self) -> bool:
        """Whether the last build used these templates (their hash covers assets/ too)."""
        return self.cache is not None and self.cache.previous.get("templates") == self.cache.templates

    def key(self, *parts) -> str:
        """The key of an output made from ``parts`` ("" without a cache: nothing is reused)."""
        return self.keys(*parts) if self.keys else ""

    def reusable(self, paths: list[str], output_key: str) -> bool:
        """Whether the last build made these files from the same inputs, and they are still there."""
        return (self.cache is not None and self.writer.previous is not None
                and all(self.cache.recorded_key(p) == output_key and self.writer.known.has(p) for p in paths))

    def _unedited_markdown(self, path: str) -> MarkdownPage | None:
        """The last build's Markdown page at ``path``, if it is there as that build wrote it."""
        recorded = self.previous_markdown.get(path)
        if isinstance(recorded, list) and self.markdown_files.get(path) == recorded[1]:
            return MarkdownPage(recorded[0], recorded[1], None)
        return None

    def kept(self, paths: list[str], markdown_path: str | None = None) -> bool:
        """Place the last build's files for these paths (and take its Markdown page) if the last
        build made them all and they are all still there."""
        entries = [self.previous_outputs.get(path) for path in paths]
        page = self._unedited_markdown(markdown_path) if markdown_path else None
        if None in entries or (markdown_path and page is None) or not all(self.writer.known.has(p) for p in paths):
            return False
        for path, entry in zip(paths, entries):
            self.writer.keep(path, entry)
        if page is not None:
            self.kept_markdown[markdown_path] = page
        return True

    def markdown_page(self, path: str, md_key: str) -> MarkdownPage | None:
        """The last build's Markdown page at ``path`` if it was made from the same page data and is unedited."""
        page = self._unedited_markdown(path) if md_key else None
        return page if page is not None and page.key == md_key else None


@dataclass
class _Makers:
    """How each output is made, or taken from the last build: run in this process and in forked
    workers, each placing its files in the new site and returning how it placed them."""

    env: Environment
    config: Config
    content_dir: Path
    reuse: _Reuse  #: and its writer, which places the files
    told_pages: bool  #: a user's file where a Markdown page goes was told before rendering (``digest check``)

    @property
    def writer(self) -> SiteWriter:
        return self.reuse.writer

    def page(self, job: PageJob) -> tuple[str, Placed]:
        path = urls.output_file(job.path)
        page_key = self.reuse.key("page", job.template, job.inputs if job.inputs is not None else job.data())
        if self.reuse.reusable([path], page_key):
            data = REUSE
        else:
            data = job.data() if job.template is None else render_template(self.env, job.template, job.data())
        return path, self.writer.place(path, data, page_key)

    def email(self, day: DayPage) -> list[tuple[str, Placed]]:
        email_key, paths = self.reuse.key("email", day, self.config.site, self.config.email), newsletter_paths(day.date)
        if self.reuse.reusable(paths, email_key):
            return [(path, self.writer.place(path, REUSE, email_key)) for path in paths]
        return [(path, self.writer.place(path, data, email_key))
                for path, data in render_newsletter(day, self.config, self.env).files().items()]

    def markdown(self, item: tuple[str, Callable, object]) -> tuple[str, MarkdownPage]:
        path, make, page = item
        md_key = self.reuse.key("markdown", page)
        kept = self.reuse.markdown_page(path, md_key)
        if kept is not None:
            return path, kept
        text = make(page)
        if not self.told_pages:
            refuse_own_page(self.content_dir / path)
        staged = stage_text(self.content_dir, path, text) if self.writer.root is not None else None
        return path, MarkdownPage(md_key, hashlib.sha256(text.encode("utf-8")).hexdigest(), staged)


def _markdown_jobs(topics: list[TopicPage], made_days: list[DayPage], size: int,
                   make_slice: Callable[[str, int], bool]) -> list[tuple[str, Callable, object]]:
    """(path, how it is made, from what) of each Markdown page a build makes."""
    return [*((urls.markdown_topic_slice(t.slug, part.number), topic_markdown, part)
              for t in topics for part in topic_slices(t, size, lambda number, t=t: make_slice(t.slug, number))),
            *((urls.markdown_date_page(d.date), day_markdown, d) for d in made_days)]


def write_feeds_and_maps(writer: SiteWriter, model: Model, days: list[DayPage], topics: list[TopicPage],
                         config: Config, env, cache: BuildCache | None, key, *,
                         not_pages: AbstractSet[str] = frozenset()) -> None:
    """The feeds (the days' and each topic's, and their OPML list), the sitemap and robots.txt.
    With a cache, a feed entry whose inputs (``key``) have not changed is the last build's.
    The sitemap lists every page but ``not_pages``."""
    def render_entry(template: str, context: dict, made_of: tuple) -> str:
        return cache.fragment(key("feed entry", template, made_of), lambda: render_template(env, template, context))

    entries = render_entry if cache else None  # without a cache, the feeds render every entry
    latest = days[-1].date if days else EPOCH
    feeds = [day_feed(days, config.site, env, entries, abstract_chars=config.email.abstract_chars),
             *(topic_feed(topic, config.site, env, entries, latest=latest) for topic in topics)]
    for feed in feeds:
        writer.update(feed_files(feed, config.site))
    writer.add(urls.OPML, opml(feeds, config.site))
    writer.update(sitemap_files(page_dates(model, writer.files, not_pages), config.site))
    writer.add(urls.ROBOTS, robots_txt(config.site))


def copy_static(content_dir: Path, writer: SiteWriter, reserved: tuple[str, ...] = (),
                problems: list[str] | None = None) -> None:
    """The files of the content folder's ``static/`` as they are, at the same paths in the site
    (a CNAME, a search engine's verification file, a .well-known/): added once the site's own
    files are (but those of the ``reserved`` folders, made later: the search index's), never in
    place of one of them or of a folder of them, nor holding one.  Names are compared whatever
    their case: on a disk that ignores it (macOS's, Windows's) Index.html is index.html.  With
    ``problems`` (digest check), every problem is added there, not the first raised."""
    found: list[DigestError] | None = [] if problems is not None else None
    files = static_files(content_dir, strict=True, problems=found)
    if problems is not None:
        problems.extend(str(error) for error in found)
    if not files:  # most sites: no index of the site's files to make, on every build
        return
    folder = content_dir / STATIC
    made = {path.casefold(): path for path in (*writer.files, MARKER)}  # the marker is placed at the swap
    made_folders = {"/".join(parts[:end]).casefold(): "/".join(parts[:end])
                    for parts in (path.split("/") for path in made.values()) for end in range(1, len(parts))}
    for path in files:
        try:
            _copy_static_file(path, folder, writer, made, made_folders, reserved)
        except DigestError as error:
            if problems is None:
                raise
            problems.append(str(error))


def _copy_static_file(path: Path, folder: Path, writer: SiteWriter, made: dict[str, str],
                      made_folders: dict[str, str], reserved: tuple[str, ...]) -> None:
    """One file of ``static/`` into the site (see copy_static); ``made`` and ``made_folders`` are
    the site's own files and folders, by their names' casefold."""
    relative = path.relative_to(folder).as_posix()
    try:
        check_relative_path(relative)
    except DigestError:
        raise DigestError("a name no site can have (a backslash is a folder's separator to web servers)",
                          path) from None
    name = relative.casefold()
    parts = name.split("/")
    above = next((p for p in ("/".join(parts[:end]) for end in range(1, len(parts))) if p in made), None)
    taken = (made[name] if name in made else
             f"{made_folders[name]}/ (a folder)" if name in made_folders else
             f"{made[above]} (a file)" if above else
             f"{parts[0]}/" if parts[0] in reserved else None)
    if taken:
        raise DigestError(f"the site makes {taken} itself: a file of {STATIC}/ cannot take its place", path)
    writer.add(relative, read_asset(path))


def copy_assets(templates: Path, writer: SiteWriter) -> None:
    """The files of the templates folder's ``assets/``, as they are, under the site's ``assets/``."""
    assets = templates / "assets"
    if assets.is_dir():
        for asset in sorted(p for p in assets.rglob("*") if not p.is_dir()):
            path = f"assets/{asset.relative_to(assets).as_posix()}"
            if not hidden_template_name(path):  # an editor's leftover is no asset
                writer.add(path, read_asset(asset))


def _last_seen(model: Model, topic: TopicPage, index: int) -> dt.date:
    """When a topic's paper last trended, from the model's facts: its listing is not made (and
    the paper not read) for that."""
    keys = getattr(topic.items, "keys", None)
    return model.papers[keys[index]].last_seen if keys is not None else topic.items[index].last_seen


def _kept_or_made(kept: Callable[..., bool], carry: Changes, model: Model, size: int, moved: dict[str, str]):
    """``make_day``, ``make_paper`` and ``make_slice`` for ``site_page_jobs``: false for what did
    not change and whose outputs of the last build ``kept`` could place (a paper's with the page
    at its id's address, where ``moved`` has one)."""
    dates = [fact.brief.date for fact in model.days]

    def make_day(index: int) -> bool:
        date = dates[index]
        if date in carry.days:
            return True
        page = urls.output_file(urls.date_path(date))
        return not kept([page, *newsletter_paths(date)], urls.markdown_date_page(date))

    def make_paper(key: str) -> bool:
        pages = [model.papers[key].slug, *([moved[key]] if key in moved else [])]
        return key in carry.papers or not kept([urls.output_file(urls.paper_path(slug)) for slug in pages])

    # A topic page that holds the same papers as before, none of them changed: the last build's.
    before = {topic.slug: topic.papers for topic in carry.topics}
    now = {topic.slug: topic.papers for topic in model.library.topics}

    def make_slice(slug: str, number: int) -> bool:
        if slug not in before:
            return True
        new, old = _slice(now[slug], size, number), _slice(before[slug], size, number)
        if new is None or new != old or any(k in carry.papers for k in new[0]):
            return True
        page = urls.output_file(urls.topic_slice_path(slug, number))
        return not kept([page], urls.markdown_topic_slice(slug, number))

    # Each is asked once per day, paper or page, but placing the kept files must happen once.
    return functools.cache(make_day), functools.cache(make_paper), functools.cache(make_slice)


def _slice(keys: Sequence[str], size: int, number: int):
    """The papers of page ``number`` of a topic, and what else the page shows of the topic's size."""
    ranges = slice_ranges(len(keys), size)  # page N is the N-th range
    if number >= len(ranges):
        return None
    _, archive, newest, start, stop = ranges[number]
    return tuple(keys[start:stop]), archive, newest, len(keys) if number == 0 else None


def shard_members(model: Model) -> dict[str, list[str]]:
    """Bundle path -> keys of the papers it indexes (by slug): a shard per month first seen, the
    newest month in the main bundle."""
    months: dict[str, list[tuple[str, str]]] = {}
    for key, fact in model.papers.items():
        months.setdefault(fact.first_seen.strftime("%Y-%m"), []).append((fact.slug, key))
    newest = max(months, default=None)
    return {bundle_path(month, month == newest): [key for _, key in sorted(members)]
            for month, members in sorted(months.items())}


def _own_template(env, name: str) -> bool:
    """Whether the template ``name`` is digest's own, byte for byte."""
    own = default_templates_dir() / name
    try:
        return Path(env.get_template(name).filename).read_bytes() == own.read_bytes()
    except OSError:
        return False


def search_shards(shards: dict[str, list[str]], library: Library, config: Config, reuse: _Reuse,
                  carry: Changes | None, *, workers: int,
                  own_paper_page: bool = True) -> tuple[SearchIndexing | None, dict[str, str]]:
    """Place the search shards that can be reused; returns the indexing of the others (not yet
    started: enter it) and every shard's key.  A shard none of whose papers changed since the
    last build (``carry``) is the last build's, its papers unseen.  With digest's own paper.html
    (``own_paper_page``) a paper page's indexed part is its title and abstract; with another, it
    may be anything on the page."""
    cache, writer, key, reusable, outputs = reuse.cache, reuse.writer, reuse.key, reuse.reusable, reuse.previous_outputs
    previous_by_key: dict[str, list[str]] = {}
    for path, entry in outputs.items():
        if path.startswith(f"{BUNDLE}/"):
            previous_by_key.setdefault(entry[0], []).append(path)
    previous_shards = cache.previous.get("shards", {}) if cache and carry is not None else {}
    stale: dict[str, dict[str, str]] = {}
    shard_keys: dict[str, str] = {}
    for bundle, members in shards.items():
        recorded = previous_shards.get(bundle)
        if recorded and not any(k in carry.papers for k in members):
            previous = [p for p in previous_by_key.get(recorded, []) if p.startswith(bundle)]
            if previous and reusable(previous, recorded):
                shard_keys[bundle] = recorded
                for path in previous:
                    writer.keep(path, outputs[path])
                continue
        shard = [library.papers[k] for k in members]
        # Keyed on what is indexed (with digest's own paper.html, a paper page's title and abstract),
        # not on the whole page, so a paper trending again does not redo its month's shard.  The key
        # includes the templates.
        files = [urls.output_file(urls.paper_path(paper.slug)) for paper in shard]
        indexed = ([(file, paper.title, paper.abstract) for file, paper in zip(files, shard)] if own_paper_page
                   else [(file, writer.files[file].sha256) for file in files])
        shard_keys[bundle] = shard_key = key("search", bundle, config.site.language, indexed)
        previous = [p for p in previous_by_key.get(shard_key, []) if p.startswith(bundle)]
        if shard_key and previous and reusable(previous, shard_key):
            for path in previous:
                writer.add(path, REUSE, shard_key)
        else:
            stale[bundle] = {file: writer.files[file].sha256 for file in files}
    copies = cache.folder / "search" if cache else None
    if copies and writer.root is not None:
        prune_copies(copies, shards)
    if writer.root is None or not stale:
        return None, shard_keys
    return SearchIndexing(writer.root, stale, config.site.language, workers=workers, copies=copies,
                          version=cache.salt if cache else "", day_build=carry is not None), shard_keys


def page_dates(model: Model, files: Iterable[str], not_pages: AbstractSet[str] = frozenset()) -> dict[str, dt.date]:
    """When each page among the site's ``files`` last changed: a day's page on its day, a paper's
    page on its last day; every other page with the newest day.  The 404 page is not a page, nor
    are ``not_pages`` (those left at papers' ids' addresses, leading to their pages)."""
    newest = model.days[-1].brief.date if model.days else dt.date(1970, 1, 1)
    changed = {urls.date_path(fact.brief.date): fact.brief.date for fact in model.days}
    changed.update({urls.paper_path(fact.slug): fact.last_seen for fact in model.papers.values()})
    pages = [file.removesuffix("index.html") for file in files if file == "index.html" or file.endswith("/index.html")]
    return {path: changed.get(path, newest) for path in pages if path not in not_pages}


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  #: None when nothing changed since the last build
    out_dir: Path
    written: tuple[str, ...] = ()  #: files whose bytes were written (the others were linked from the previous site)

    @property
    def unchanged(self) -> bool:
        return self.site is None




@contextmanager
def cyclic_gc_paused():
    """The model is millions of small long-lived objects: Python's cycle collector would walk them
    all again and again (seconds per build at 1,000 days) and, in forked workers, copy every memory
    page it touches.  A build makes few reference cycles, so collecting waits until it is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_build_folders(content_dir: Path, out_dir: Path, templates_dir: Path | None, cache_dir: Path | None) -> None:
    """DigestError if a build may not write into ``out_dir`` (and ``cache_dir`` beside it) with these
    content and templates folders, or may not write the Markdown pages into the content folder."""
    check_output_apart(content_dir, out_dir, cache_dir, templates_dir or default_templates_dir())
    check_output_folder(out_dir)
    check_page_folders(content_dir)  # the Markdown pages are written there


def build(content_dir: Path, out_dir: Path, *, templates_dir: Path | None = None,
          today: dt.date | None = None, warn: Warn | None = None, search: bool = True,
          progress: Progress | None = None, strict: bool = False, clean: bool = False,
          cached: bool = True, jobs: int | None = None, checked: Checked | None = None) -> BuildResult:
    """Gather, then write the Markdown pages into ``content_dir`` and the site into ``out_dir``.

    With ``strict``, any warning fails the build before anything is written.
    The build cache beside ``out_dir`` (see digest.cache) lets a build skip what
    has not changed; ``clean`` starts from an empty cache, ``cached=False``
    neither reads nor writes it.  Either way the output is the same.  ``checked`` is what
    ``digest.inputs.check_inputs`` found just before, if the caller asked it."""
    cache_dir = cache_dir_for(out_dir) if cached else None
    # Before any work, and before the cache beside the output folder is touched.
    check_build_folders(content_dir, out_dir, templates_dir, cache_dir)
    locked = build_lock(cache_dir, waiting_note(out_dir, warn)) if cache_dir is not None else nullcontext()
    # The content folder's lock first, always: two builds never each hold one lock and wait for the other.
    with cyclic_gc_paused(), pages_lock(content_dir, warn), locked:
        return _build(content_dir, out_dir, templates_dir=templates_dir, today=today, warn=warn, search=search,
                      progress=progress, strict=strict, clean=clean, cached=cached, jobs=jobs, checked=checked)


class _HeldInterrupts:
    """Ctrl-C held back from the swap of the site on (``start``): the new site goes live, and the
    Markdown pages and the cache must follow it.  An interrupt there put the old Markdown pages
    back under the new site.  Now the build finishes first; the interrupt then stops digest as
    any other does (exit 130: a script that runs digest stops too), also where the build fails."""

    def __init__(self) -> None:
        self.received = False
        self._previous = None

    def start(self) -> None:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, number, frame) -> None:
        self.received = True

    def __enter__(self) -> _HeldInterrupts:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if self.received and kind is not None and not issubclass(kind, KeyboardInterrupt):
            raise KeyboardInterrupt from value  # the build failed after it: stop all the same


def _build(content_dir: Path, out_dir: Path, *, templates_dir: Path | None, today: dt.date | None,
           warn: Warn | None, search: bool, progress: Progress | None, strict: bool, clean: bool,
           cached: bool, jobs: int | None, checked: Checked | None) -> BuildResult:
    progress = progress or Progress()
    today = today or build_date()
    env_templates = templates_dir or default_templates_dir()
    # What a killed build left beside the Markdown pages (this build holds their folder's lock).
    remove_left_by_a_build(staged_page_files(content_dir))
    cache = inputs = None
    if cached:
        salt = build_salt(search)
        templates_hash = folder_hash(env_templates)
        with progress.stage("compared the inputs with the last build's"):
            folder = cache_dir_for(out_dir)
            # What the caller checked is good if no other build wrote the manifest since.
            known = (checked if checked is not None and not clean and checked.salt == salt + templates_hash
                     and checked.today == today and checked.stamp == manifest_stamp(folder) else None)
            cache = BuildCache.load(folder, salt, templates_hash, clean=clean,
                                    manifest=known.previous if known else None)
            # The snapshots are read once, here: their hashes are the build's fingerprint and say what is new.
            inputs = known.inputs if known else read_inputs(content_dir, salt + templates_hash, today, cache.previous)
            if cache.unchanged(inputs.fingerprint, out_dir, inputs.markdown_state):
                repeat_warnings(cache.previous, warn, strict)
                return BuildResult(None, out_dir)
    markdown_files = inputs.markdown_files if inputs else None
    with _HeldInterrupts() as held:
        # The folder the swap leaves the previous site in is kept in the cache and made into the next site.
        with ExitStack() as stack:
            with progress.stage("prepared the output folder"):
                writer = stack.enter_context(SiteWriter(
                    out_dir, recorded=cache.previous.get("outputs") if cache else None,
                    spare=cache.spare_site if cache else None, listing=cache.spare_listing() if cache else None))
            site = gather(content_dir, templates_dir=templates_dir, today=today, warn=warn, search=search,
                          progress=progress, cache=cache, writer=writer, jobs=jobs, strict=strict,
                          markdown_files=markdown_files,
                          snapshots=(inputs.files, inputs.sources) if inputs and inputs.files is not None
                          else None)
            staged = {path: page.staged for path, page in site.markdown.items() if page.staged}
            try:
                if cache:  # before Ctrl-C is held: the site has not changed yet
                    cache.forget_last_build()
                held.start()
                with progress.stage(f"swapped in the new site of {len(site.files)} files"):
                    # The Markdown pages, then the site: a swap that fails (site/ a mount point) puts the
                    # pages back as they were, as does a page that cannot be replaced, before the swap.
                    with staged_committed(content_dir, staged, set(site.markdown),
                                          candidates=markdown_page_files(content_dir), its_own=at_its_own_name):
                        report = writer.commit(version=__version__)
            except BaseException:
                discard_staged(staged)
                raise
        if cache:
            with progress.stage("saved the build cache"):
                cache.outputs = {path: [site.files[path].key, digest, site.files[path].inode]
                                 for path, digest in report.hashes.items()}
                # The Markdown pages as they are now: the ones this build made, and the others still there.
                now = {path: sha for path, sha in markdown_files.items() if (content_dir / path).is_file()}
                now.update((path, page.sha256) for path, page in site.markdown.items())
                if cache.ready is None:  # not pickled while the search index was made
                    cache.pickle_ahead()
                if MODEL not in cache.ready:
                    cache.pickle_model(model_record(site.model, model_salt(content_dir)))
                pages = {path: [page.key, page.sha256] for path, page in site.markdown.items()}
                cache.save(inputs.fingerprint, pages, markdown_state(now), shards=site.shard_keys,
                           markdown_files=markdown_record(content_dir, now), snapshots=inputs.snapshot_record,
                           listing=writer.listing(), warnings=site.loaded.warnings)
    if held.received:
        if warn:
            warn("interrupted once the new site was going live: the build went on to the end, and is complete")
        raise KeyboardInterrupt
    return BuildResult(site, out_dir, tuple(report.written))
