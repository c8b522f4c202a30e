"""Pages -> HTML: the Jinja2 environment, Markdown rendering and the context of every page.

Templates get plain data (dataclasses from ``digest.pages`` and small dicts)
and never see snapshot text as template source.  Autoescaping is on and an
undefined variable is an error.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import os
import re
import stat
from bisect import bisect_left, bisect_right
from functools import lru_cache, partial
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from jinja2 import (Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, Template,
                    TemplateError, TemplateNotFound, select_autoescape)
from jinja2 import meta, nodes
from jinja2.loaders import split_template_path
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup, escape

from digest import __version__, urls
from digest.charts import rank_chart, sparkline
from digest.config import OTHER_TOPIC, SiteConfig
from digest.cache import hidden_template_name, read_sealed, write_sealed
from digest.errors import DigestError
from digest.files import unprintable_name
from digest.output import own_folder, remove_entry, remove_temporary
from digest.models import Library, Paper
from digest.pages import DayPage, DaySummary, TopicPage, archive_bounds, listed_paper, topic_slices
from digest.text import (escape_markdown, excerpt, long_date, plural, short_date, url_runs, weekday_date,
                         wrap_text)

try:
    from markupsafe import _escape_inner  # markupsafe 3: the C function escape calls for a string
except ImportError:
    def _escape_inner(text: str) -> str:
        return str(escape(text))

# Raw HTML off: snapshot text is untrusted even after escaping.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
# A link shows its URL as written, not decoded: markdown-it's text of a link decodes %XX escapes
# and xn-- hosts, which would bring back what digest takes out of every text (a direction
# override written %E2%80%AE, a control character) and show look-alike hosts (аррӏе.com).
_MARKDOWN.normalizeLinkText = lambda url: url


@lru_cache(maxsize=None)
def markdown_html(source: str) -> Markup:
    """Rendered Markdown; cached because one abstract appears on many pages."""
    return Markup(_MARKDOWN.render(source))


#: Characters CommonMark treats apart: NUL becomes U+FFFD, and an autolink holds no control character.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def text_html(text: str) -> Markup:
    """Untrusted plain text as an HTML paragraph: what CommonMark makes of ``escape_markdown(text)``.

    Text without control characters is one paragraph of itself, HTML-escaped as
    markdown-it escapes text, with its URLs made links as markdown-it makes
    autolinks; that is made directly, several times faster than escaping and
    parsing it as Markdown (tens of milliseconds for an abstract of 20,000 of
    Markdown's own characters).  Text with control characters, which CommonMark
    treats apart (see ``_CONTROL``), goes through Markdown."""
    if text is None:  # in a template: a card's missing field
        return Markup("")
    text = " ".join(text.split())
    if not text.isprintable() and _CONTROL.search(text):
        return markdown_html(escape_markdown(text))
    if not text:
        return Markup("")
    html = []
    for run, url in url_runs(text):
        if not url:
            html.append(escapeHtml(run))
            continue
        href = _MARKDOWN.normalizeLink(run)
        if not _MARKDOWN.validateLink(href):  # only javascript:, data: and the like; never http(s)
            return markdown_html(escape_markdown(text))
        html.append(f'<a href="{escapeHtml(href)}">{escapeHtml(run)}</a>')
    return Markup(f"<p>{''.join(html)}</p>\n")


#: Templates are a few KB; Jinja2 reads a template whole, so a far larger file is refused first.
MAX_TEMPLATE_BYTES = 1024 * 1024


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates, in the build cache, each file sealed with its checksum
    (see digest.cache.SEAL).  Only a saving of work: a compiled template it cannot keep (a full
    disk) is compiled again next time, not the template's error."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # As Jinja2's, for a templates folder whose path is no UTF-8 text too (Python holds its
        # undecodable bytes as surrogates, which Jinja2's encode() refuses).
        key = hashlib.sha1(name.encode("utf-8", "surrogateescape"))
        if filename is not None:
            key.update(f"|{filename}".encode("utf-8", "surrogateescape"))
        return key.hexdigest()

    def dump_bytecode(self, bucket) -> None:
        path = Path(self._get_cache_filename(bucket))
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # workers may compile one at once
        try:
            write_sealed(temporary, bucket.write_bytecode)
            os.replace(temporary, path)
        except OSError:
            remove_temporary(temporary)

    def load_bytecode(self, bucket) -> None:
        """A compiled template as Jinja2 loads it; one it cannot load (damaged, cut short, not a
        file) is compiled again, as one never saved is."""
        body = read_sealed(Path(self._get_cache_filename(bucket)))
        if body is None:
            return
        try:
            bucket.load_bytecode(io.BytesIO(body))
        except Exception:  # noqa: BLE001 - Jinja2 loads its checksum unguarded, with pickle
            bucket.reset()


class _TemplateLoader(FileSystemLoader):
    """Jinja2's loader for one folder, refusing a template file over MAX_TEMPLATE_BYTES."""

    def get_source(self, environment: Environment, template: str):
        if hidden_template_name(template):  # not a template, and not looked at for changes (cache.folder_hash)
            raise TemplateNotFound(template, f"{template!r} is a hidden file, which is not a template")
        path = Path(self.searchpath[0], *split_template_path(template))
        try:
            status = path.stat()
        except OSError:
            status = None  # Jinja2 says what is wrong with it
        if status is not None and not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            raise DigestError("not a file (a pipe or a device), so not a template", path)
        too_large = status is not None and status.st_size > MAX_TEMPLATE_BYTES
        if too_large:
            raise DigestError(f"template larger than {MAX_TEMPLATE_BYTES // 1024} KB; not a template", path)
        return super().get_source(environment, template)


def _escape(value) -> Markup:
    """``markupsafe.escape``, made faster for what pages show most: strings, numbers and Markup.
    markupsafe makes each Markup through ``Markup.__new__``, which looks for ``__html__`` on the
    string first; failing, that look-up takes most of the time of every ``{{ }}`` of a page."""
    kind = type(value)
    if kind is str:
        return _new_string(Markup, _escape_inner(value))
    if kind is int:  # digits and a minus sign: nothing to escape (bool is a type of its own)
        return _new_string(Markup, str(value))
    if kind is Markup:
        return value
    return escape(value)


_new_string = str.__new__  #: Markup(text) without Markup.__new__'s look-up of __html__


class _Template(Template):
    """Jinja2's template, whose ``{{ }}`` escape with ``_escape``."""

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):
        template = super().from_code(environment, code, globals, uptodate)
        # The template's functions (its body, blocks and macros) share the one namespace its
        # code ran in, where Jinja2 imported markupsafe's escape under this name.
        template.root_render_func.__globals__["escape"] = _escape
        return template


def _compiled_by(compiled: Path, version: str) -> Path:
    """The folder of templates compiled by this ``version`` of digest, in ``compiled``, where those
    of other versions are removed.  Jinja2 checks a compiled template against its source, not
    against the environment that compiled it (its options, its output of values)."""
    own_folder(compiled)  # in the build cache: never wherever a link there leads
    current = compiled / (version[:16] or "any")
    for entry in compiled.iterdir():
        if entry.name != current.name:
            remove_entry(entry)
    own_folder(current)
    for entry in current.iterdir():  # what a build killed while it wrote one left
        if entry.name.endswith(".tmp"):
            remove_entry(entry)
    return current


def _shown(value):
    """What ``{{ value }}`` shows: nothing for None (a field a card does not have), as filters do."""
    return "" if value is None else value


def make_environment(templates_dir: Path, compiled: Path | None = None, version: str = "") -> Environment:
    """The Jinja2 environment of a templates folder; ``compiled`` is a folder to keep compiled
    templates in between builds, by digest's ``version`` (Jinja2 checks them against the
    templates' sources)."""
    if compiled is not None:
        compiled = _compiled_by(compiled, version)
    env = Environment(
        loader=_TemplateLoader(str(templates_dir)),
        bytecode_cache=_CompiledTemplates(str(compiled)) if compiled is not None else None,
        # Everything is escaped except plain-text templates (the e-mail's text part).
        autoescape=select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        # An environment serves one build: no template changes under it, so none is looked at again
        # (Jinja2 would check both files of a page's template on every page).
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.template_class = _Template
    env.filters.update(
        text_html=text_html, short_date=short_date, long_date=long_date,
        weekday_date=weekday_date, plural=plural, excerpt=lambda text, n: "" if text is None else excerpt(text, n)[0],
        wrap=wrap_text,
    )
    env.globals.update(
        date_path=urls.date_path, topic_path=urls.topic_path, paper_path=urls.paper_path,
        topic_feed_path=urls.topic_feed_path, paths=urls, version=__version__,
    )
    return env


#: The templates digest renders (the rest are what they extend, include or import).
RENDERED_TEMPLATES = ("home.html", "day.html", "archive.html", "topics.html", "topic.html", "paper.html",
                      "search.html", "404.html", "email.html", "email.txt", "feed_day.html", "feed_paper.html")

#: The assets templates link through ``paths``: a templates folder whose templates use one must have it.
LINKED_ASSETS = ("STYLESHEET", "FAVICON", "SEARCH_SCRIPT")


def template_names(env: Environment) -> list[str]:
    """The templates of the folder: every file but the assets and hidden files.  DigestError for a
    name that is not printable UTF-8 text (see files.unprintable_name: no template could name it,
    and Jinja2 cannot keep it compiled), as for a snapshot's."""
    names = env.list_templates(filter_func=lambda name: not name.startswith("assets/")
                               and not hidden_template_name(name))
    for name in names:
        if problem := unprintable_name(name):
            raise DigestError(f"{problem}: rename the file", ascii(str(Path(env.loader.searchpath[0], name))))
    return names


def check_linked_assets(env: Environment, search_page: bool) -> None:
    """DigestError naming the template and line that link an asset through ``paths`` (such as
    ``{{ paths.STYLESHEET }}`` or ``paths["STYLESHEET"]``) which the templates folder's ``assets/``
    does not hold: every page would link a missing file.  Only the templates the site's pages,
    feeds and e-mails are made from count, and what they take in (every template, where one
    names what it takes in by an expression), read as Jinja2 reads them (not comments); the
    search script only where the site has a search page."""
    folder = Path(env.loader.searchpath[0])
    wanted = [c for c in LINKED_ASSETS if search_page or c != "SEARCH_SCRIPT"]
    roots = [name for name in RENDERED_TEMPLATES if search_page or name != "search.html"]
    seen: set[str] = set()
    while roots:
        name = roots.pop(0)
        if name in seen:
            continue
        seen.add(name)
        try:
            source, filename, _ = env.loader.get_source(env, name)
            tree = env.parse(source, name, filename)
        except TemplateNotFound:
            continue  # rendering it says so, with the template that wants it
        except Exception as error:  # noqa: BLE001 - a template of the user's, as in load_template
            raise template_error(error, name, env) from None
        taken = list(meta.find_referenced_templates(tree))
        if None in taken:  # {% include name ~ ".html" %}: it may be any of them
            taken += template_names(env)
        roots += sorted(n for n in taken if isinstance(n, str))
        for constant, line in _paths_used(tree):
            if constant in wanted and not (folder / getattr(urls, constant)).is_file():
                path = getattr(urls, constant)
                target = folder / path
                broken = link_to_nothing(target)
                missing = (f"{target} is {broken}" if broken else
                           f"{target} is not a file" if target.exists() else f"{target} is missing")
                raise DigestError(f"links {path}, which the templates folder does not have ({missing})",
                                  folder / name, line)


def _paths_used(tree: nodes.Template) -> list[tuple[str, int]]:
    """The constants of ``paths`` a template uses, as ``paths.NAME`` or ``paths["NAME"]``, with their lines."""
    used = [(node.attr, node.lineno) for node in tree.find_all(nodes.Getattr)
            if isinstance(node.node, nodes.Name) and node.node.name == "paths"]
    used += [(node.arg.value, node.lineno) for node in tree.find_all(nodes.Getitem)
             if isinstance(node.node, nodes.Name) and node.node.name == "paths"
             and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)]
    return sorted(used, key=lambda use: use[1])


def load_template(env: Environment, name: str) -> Template:
    """A template, compiled; DigestError naming its file and line if it cannot be."""
    try:
        return env.get_template(name)
    except Exception as error:  # noqa: BLE001 - see template_error
        raise template_error(error, name, env) from None


def render_template(env: Environment, name: str, context: dict) -> str:
    template = load_template(env, name)
    try:
        return template.render(context)
    except Exception as error:  # noqa: BLE001 - see template_error
        raise template_error(error, name, env) from None


def template_error(error: Exception, name: str, env: Environment) -> DigestError:
    """A one-line error for what went wrong in a template.  Templates are the user's to edit, so
    any error raised while one is loaded or rendered (a syntax error, a file that is not UTF-8,
    a division by zero, a filter given the wrong type, templates that include each other
    without end) is reported as theirs: the template's file and line, and what went wrong."""
    if isinstance(error, DigestError):
        return error
    if isinstance(error, TemplateNotFound) and error.name is not None and hidden_template_name(error.name):
        message = error.message
    elif isinstance(error, TemplateNotFound) and (broken := _broken_link(env, error.name)) is not None:
        message = f"{error.name!r} is {broken}"
    elif isinstance(error, TemplateNotFound):
        message = (f"no template {error.name!r} in the templates folder" if error.name is not None
                   else "no template: its name is none (an empty value) or an empty list")
    elif isinstance(error, TemplateError):
        message = error.message or str(error)
    elif isinstance(error, UnicodeDecodeError):
        message = "not UTF-8 text"
    elif isinstance(error, RecursionError):
        message = "templates that include, extend or call each other without end"
    else:
        message = f"{type(error).__name__}: {error}"
    # A card's missing field is None in a template: say so in the template's words.
    message = _NONE.sub("none (an empty value)", message)
    filename, lineno = getattr(error, "filename", None), getattr(error, "lineno", None)
    if isinstance(error, UnicodeDecodeError):  # the loader's: the file is not yet a template
        lineno = error.object[:error.start].count(b"\n") + 1
    elif lineno is None:  # an error while rendering: Jinja maps the traceback onto template lines
        filename, lineno = _template_frame(error) or (filename, None)
    folders = getattr(env.loader, "searchpath", None) or ["."]
    return DigestError(f"template error: {message}", filename or str(Path(folders[0], name)), lineno)


def _broken_link(env: Environment, name: str | None) -> str | None:
    """What the templates folder's ``name`` is, when it is a link to nothing (which Jinja2 takes
    for no template at all); see ``link_to_nothing``."""
    folders = getattr(env.loader, "searchpath", None)
    if not name or not folders:
        return None
    try:
        return link_to_nothing(Path(folders[0], *split_template_path(name)))
    except TemplateNotFound:  # a name no file can have
        return None


def link_to_nothing(path: Path) -> str | None:
    """What ``path`` is when it is a link that leads to no file: a link to where its links lead in
    the end, which is not there, or a link in a loop of links; else None."""
    try:
        os.stat(path)
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a link in a loop of links"
        if not os.path.islink(path):
            return None
    return f"a link to {os.path.realpath(path)!r}, which is not there"


#: How Python and Jinja2 name None in their errors ("'NoneType' object", "None has no element 0").
_NONE = re.compile(r"'NoneType' object|'NoneType'|\"NoneType\"|\bNoneType\b|'None'(?= has no)|\bNone(?= has no)")


def _template_frame(error: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line in an error's traceback; for templates that include
    or extend each other without end, the include or extends that closes the loop (the
    innermost is wherever the stack ran out, perhaps in a macro the loop calls)."""
    found, seen, frame = None, Counter(), error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt", ".xml")) and Path(filename).is_file():
            found = (filename, frame.tb_lineno)
            seen[found] += 1
        frame = frame.tb_next
    if isinstance(error, RecursionError) and seen:
        # Each template line of the loop is met as often, give or take the one where the stack ran out.
        most = max(seen.values())
        loop = [place for place, count in seen.items() if count >= most - 1]
        return next((tag for near in (False, True) for place in loop if (tag := _looping_tag(*place, near))),
                    loop[0])
    return found


#: The tags by which templates can take each other in without end.
_LOOPING_TAG = re.compile(r"{%-?\s*(?:include|extends)\b")
_EXTENDS_TAG = re.compile(r"{%-?\s*extends\b")


def _looping_tag(filename: str, line: int, near: bool) -> tuple[str, int] | None:
    """The place of the include or extends tag on ``line`` of a template; or, ``near`` it, where a
    template's top-level code is reported (Jinja2 gives it the line of a tag near its start), of
    its extends tag."""
    try:
        lines = Path(filename).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if line <= len(lines) and _LOOPING_TAG.search(lines[line - 1]):
        return filename, line
    if not near:
        return None
    extends = next((number for number, text in enumerate(lines, 1) if _EXTENDS_TAG.search(text)), None)
    return (filename, extends) if extends is not None and line <= extends + 2 else None


def site_context(site: SiteConfig) -> dict:
    return {
        "title": site.title, "description": site.description, "base_url": site.base_url,
        "language": site.language, "author": site.author, "locale": og_locale(site.language),
    }


def og_locale(language: str) -> str:
    """Open Graph's locale, language_TERRITORY ("en-GB" -> "en_GB"), or "" for a language tag
    without a territory ("en", "zh-Hant"): og:locale is then left out, as it means en_US."""
    parts = language.split("-")
    territory = next((p for p in parts[1:] if len(p) == 2 and p.isalpha() or len(p) == 3 and p.isdigit()), None)
    return f"{parts[0].lower()}_{territory.upper()}" if territory else ""


SITE_FEEDS = [("RSS", "application/rss+xml", urls.RSS), ("Atom", "application/atom+xml", urls.ATOM),
              ("JSON Feed", "application/feed+json", urls.JSON_FEED)]


def page_context(site: SiteConfig, path: str, title: str, section: str, *, description: str = "",
                 kind: str = "website", **extra) -> dict:
    """What every page template gets: the site, where the page is, how to link back to the root,
    and what link previews (Open Graph) say about it."""
    return {
        "site": site_context(site),
        "path": path,
        "root": urls.root_prefix(path),
        "canonical": site.url(path),
        "page_title": title,
        "page_description": description or site.description,
        "page_kind": kind,
        "section": section,
        "feeds": list(SITE_FEEDS),
        **extra,
    }


def paper_links(paper: Paper) -> list[tuple[str, str]]:
    """(label, URL) pairs for a paper: arXiv and the hub when the id is known, else searches;
    then its code and project page when a snapshot gave them (parsers keep only http(s) URLs)."""
    if paper.arxiv_id:
        links = [
            ("arXiv abstract", f"https://arxiv.org/abs/{paper.arxiv_id}"),
            ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}"),
            ("Hugging Face", f"https://huggingface.co/papers/{paper.arxiv_id}"),
        ]
    else:
        query = quote_plus(paper.title)
        links = [
            ("Search arXiv", f"https://arxiv.org/search/?searchtype=title&query={query}"),
            ("Search Hugging Face", f"https://huggingface.co/papers?q={query}"),
        ]
    if paper.github:
        stars = f" ({paper.github_stars:,} stars)" if paper.github_stars is not None else ""
        links.append((f"Code on GitHub{stars}", paper.github))
    if paper.project_page:
        links.append(("Project page", paper.project_page))
    return links


def paper_context(site: SiteConfig, path: str, paper: Paper, titles: dict[str, str], day_dates: list,
                  search: bool) -> dict:
    """What a paper's page shows."""
    return page_context(
        site, path, paper.title, "papers", kind="article",
        description=excerpt(paper.abstract, 200)[0],
        # Where search results link to the page: from the search page, so that the site works
        # under any base path (the index files themselves are made from copies elsewhere).
        search_link=urls.root_prefix(urls.SEARCH) + path,
        paper=listed_paper(paper, titles), history=paper.appearances,
        matches=[(titles[m.topic], m) for m in paper.topics],
        chart=rank_chart(paper.appearances, day_dates, "rank"),
        links=paper_links(paper), organization=paper.organization,
        authors=paper.authors, author_names=paper.author_names or (),
        upvotes=paper.latest_upvotes, keywords=paper.keywords or (), search=search,
    )


class PageJob(NamedTuple):
    """One page to render: where it goes, with which template, from what data.

    ``context`` is the template's data, or a function that makes it: paper pages
    (most of a site) make theirs only when rendered, in the worker that renders
    them, so that the build process never holds them all."""

    path: str
    template: str | None  #: None: ``context`` makes the page's text itself
    context: dict | Callable[[], dict | str]
    #: When ``context`` is a function: everything it makes the data from, so that a page can be
    #: keyed (see digest.cache) without making its data.
    inputs: tuple | None = None

    def data(self) -> dict | str:
        return self.context() if callable(self.context) else self.context


def moved_page(site: SiteConfig, title: str, slug: str) -> str:
    """The page left at a paper's arXiv id's address when its page has another name (see
    digest.library.moved_papers): it sends a browser on, and tells search engines where the page is."""
    here, canonical = f"../{slug}/", escape(site.url(urls.paper_path(slug)))
    return (f'<!DOCTYPE html>\n<html lang="{escape(site.language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<title>{escape(title)} · {escape(site.title)}</title>\n<link rel="canonical" href="{canonical}">\n'
            f'<meta name="robots" content="noindex">\n<meta http-equiv="refresh" content="0; url={here}">\n'
            f'</head>\n<body>\n<p>This paper\'s page is at <a href="{here}">{escape(title)}</a>.</p>\n</body>\n</html>\n')


def site_page_jobs(library: Library, days: Sequence[DayPage], topics: list[TopicPage], site: SiteConfig,
                   day_list: Sequence[tuple[DaySummary, dict[str, int]]], *, search: bool = True,
                   merged_indexes: list[str] = (), make_day: Callable[[int], bool] = lambda index: True,
                   make_paper: Callable[[str], bool] = lambda key: True,
                   make_slice: Callable[[str, int], bool] = lambda slug, number: True,
                   last_seen: Callable[[TopicPage, int], dt.date] = lambda topic, i: topic.items[i].last_seen,
                   moved: Mapping[str, str] | None = None) -> list[PageJob]:
    """Pages of the site, not yet rendered; ``search`` adds the search page and its link,
    ``merged_indexes`` are the search bundles the search page merges with the main one.

    ``day_list`` is every day's summary and topic counts (what lists of days show);
    ``last_seen(topic, index)`` is when the topic's paper at that index last trended.  The
    ``make_`` functions leave out pages a build keeps from the last one: the page of a day (by
    index), of a paper (by key), or of a topic (by slug and page number).  The home page, the
    archive, the topics page, the search page and the 404 page are always made.  ``moved`` is
    ``digest.library.moved_papers`` of the library: a made paper's page that is named otherwise
    than by its arXiv id gets a page at the id's address that leads to it (no template: ``context``
    is the page's text)."""
    jobs: list[PageJob] = []
    moved = moved or {}

    def add(path: str, template: str, context: dict) -> None:
        context["search"] = search
        jobs.append(PageJob(path, template, context))

    recent = [brief for brief, _ in reversed(day_list)]
    add(urls.HOME, "home.html", page_context(
        site, urls.HOME, site.title, "home", day=days[-1] if days else None, recent=recent[1:8]))
    for index in range(len(days)):
        if make_day(index):
            page = days[index]
            path = urls.date_path(page.date)
            add(path, "day.html", page_context(
                site, path, page.title, "archive", description=page.summary + ".", day=page))
    add(urls.ARCHIVE, "archive.html", page_context(
        site, urls.ARCHIVE, "Archive", "archive", days=recent))
    day_dates = [brief.date for brief, _ in day_list]
    per_day = {t.slug: [counts.get(t.slug, 0) for _, counts in day_list] for t in library.topics}
    trends = {slug: sparkline(counts, day_dates, f"trend-{slug}") for slug, counts in per_day.items()}
    # The line's numbers in words beside it: the latest day's count and the most on any day.
    figures = {slug: {"latest": counts[-1], "most": max(counts)} for slug, counts in per_day.items() if counts}
    add(urls.TOPICS, "topics.html", page_context(
        site, urls.TOPICS, "Topics", "topics", topics=[t.summary for t in topics], trends=trends,
        trend_figures=figures))
    for topic in topics:
        feeds = [(f"{label} · {topic.title}", kind, urls.topic_feed_path(topic.slug, name))
                 for (label, kind, _), name in zip(SITE_FEEDS, ("rss", "atom", "json"))]
        for part in topic_slices(topic, site.topic_page_size, lambda number: make_slice(topic.slug, number)):
            number = part.number
            if number == 0:
                path, title = urls.topic_path(topic.slug), topic.title
                # Every archive page, newest first, with the days its papers last trended: a long
                # archive is a list to pick from, not ten "older" pages to walk through.  Its days
                # come from ``last_seen``, so that papers a build does not touch stay unread.
                pages = [{"path": urls.topic_archive_path(topic.slug, older), "number": older,
                          "first": last_seen(topic, oldest), "last": last_seen(topic, newest)}
                         for older, newest, oldest in reversed(archive_bounds(len(topic.items),
                                                                              site.topic_page_size))]
                pager = {"archive": False, "newer": None, "pages": pages,
                         "older": urls.topic_archive_path(topic.slug, part.archive) if part.archive else None}
            else:
                path = urls.topic_archive_path(topic.slug, number)
                title = (f"{topic.title}: trending {short_date(part.first)}" if part.first == part.last
                         else f"{topic.title}: trending {short_date(part.first)} to {short_date(part.last)}")
                pager = {"archive": True, "number": number, "first": part.first, "last": part.last, "pages": [],
                         "newer": urls.topic_path(topic.slug) if part.newest
                         else urls.topic_archive_path(topic.slug, number + 1),
                         "older": urls.topic_archive_path(topic.slug, number - 1) if number > 1 else None}
            context = page_context(site, path, title, "topics", description=topic.description,
                                   topic=part.topic, pager=pager, items=part.items)
            context["feeds"] = feeds + context["feeds"]
            add(path, "topic.html", context)

    titles = {t.slug: t.title for t in library.topics}
    for key in library.papers:
        if not make_paper(key):
            continue
        paper = library.papers[key]
        path = urls.paper_path(paper.slug)
        # Its topics' titles and the days of its chart are all the page uses of the whole site.
        used_titles = {slug: titles.get(slug) for slug in (*(m.topic for m in paper.topics), OTHER_TOPIC)}
        span = tuple(day_dates[bisect_left(day_dates, paper.first_seen):bisect_right(day_dates, paper.last_seen)])
        jobs.append(PageJob(path, "paper.html", partial(paper_context, site, path, paper, titles, span, search),
                            ("paper", site, path, paper, used_titles, span, search)))
        if key in moved:
            jobs.append(PageJob(urls.paper_path(moved[key]), None, partial(moved_page, site, paper.title, paper.slug),
                                ("moved", site, paper.title, paper.slug)))
    if search:
        add(urls.SEARCH, "search.html", page_context(
            site, urls.SEARCH, "Search", "search", merged_indexes=list(merged_indexes)))
    # The 404 page is served at any depth, so it links from the site's root path
    # (not from the base URL's host, so that previews and mirrors stay self-contained).
    not_found = page_context(site, urls.NOT_FOUND, "Page not found", "none")
    not_found["root"] = urlsplit(site.base_url).path or "/"
    not_found["canonical"] = ""  # it stands for pages that are not there: it has no address of its own
    add(urls.NOT_FOUND, "404.html", not_found)
    return jobs
