"""Command line: ``digest build``, ``check``, ``serve`` and the other commands (``digest --help``).

The only place that catches DigestError: it prints one line per problem to
stderr and exits 1 (2 for usage errors), without a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime as dt
import io
import json
import math
import os
import re
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from digest import __version__
from digest.errors import DigestError, UsageError, file_system_error, shown, tracebacks_asked, unexpected_error_message
from digest.files import read_bounded
from digest.inputs import build_date, default_templates_dir, read_snapshot_bytes
from digest.text import plural

# Each command imports what only it needs, so that a build with nothing to do returns before
# the parsers, Jinja2 and feedgen are even loaded.
if TYPE_CHECKING:
    from digest.models import Snapshot


def _warn(message: str) -> None:
    """A warning on one line: a line break in it (a file's name may hold one) shown as its escape."""
    line = shown(message).replace("\r", "\\r").replace("\n", "\\n")
    print(f"digest: warning: {line}", file=sys.stderr)


def _report_done(report: str, done: str) -> None:
    """Print the report of work that is done (``done`` says what).  A standard output that cannot
    take it (a full disk, a reader that stopped reading) is a warning, not an error: the exit
    code tells scripts whether the work is done, and one that took it for undone would do it
    again (send the e-mail twice)."""
    from digest.progress import silence

    try:
        print(report)
        sys.stdout.flush()
    except (DigestError, BrokenPipeError) as error:
        silence(sys.stdout)
        if isinstance(error, DigestError):
            try:
                _warn(f"{error.message}; {done}")
                sys.stderr.flush()
            except (DigestError, BrokenPipeError):  # standard error fails too (both to one full disk)
                silence(sys.stderr)


def _error(message: str) -> None:
    """Each line of an error as a line of its own, terminal controls shown as escapes."""
    for line in message.splitlines() or [message]:
        print(f"digest: error: {shown(line)}", file=sys.stderr)


def _date(text: str, *, latest: bool = False) -> dt.date:
    """A date written YYYY-MM-DD (not the other forms Python reads: "20260119", "2026-W03-1")."""
    form = "YYYY-MM-DD form, nor 'latest'" if latest else "YYYY-MM-DD form"
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise argparse.ArgumentTypeError(f"not a date in {form}: {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no such day: {text!r}") from None


def _day(text: str) -> str:
    """A list day as ``email`` and ``send`` take it: ``latest``, or a date (written YYYY-MM-DD)."""
    return text if text == "latest" else _date(text, latest=True).isoformat()


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of 1 or more: {text!r}")
    return int(text)


def _timeout(text: str) -> float:
    """Seconds, as fetch_timeout takes them in site.yaml: from MIN_TIMEOUT to MAX_TIMEOUT (a day)."""
    from digest.config import MAX_TIMEOUT, MIN_TIMEOUT

    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"not a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:,}: {text!r}")
    return seconds


def _folder(text: str) -> Path:
    """A folder given on the command line; an empty one (``--out ""``, an unset variable) is no
    folder, where Path would take it for the current one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: give a folder (. for the current one)")
    return Path(text)


def _host(text: str) -> str:
    if not text.strip():  # the socket would listen on every interface, where the default is this machine only
        raise argparse.ArgumentTypeError("empty: give a host name or address (0.0.0.0 listens on every interface)")
    from digest.urls import unbracketed

    return unbracketed(text)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number from 0 to 65535: {text!r}")
    return int(text)


def snapshot_json(snapshot: Snapshot) -> dict:
    """The stable JSON form of a parsed snapshot (the ``digest parse --json`` contract)."""
    return {
        "source": Path(snapshot.source).name,
        "date": snapshot.date.isoformat(),
        "date_source": snapshot.date_source,
        "format": snapshot.format,
        "papers": [
            {
                "rank": card.rank,
                "title": card.title,
                "abstract": card.abstract,
                "organization": ({"handle": card.organization.handle, "name": card.organization.name}
                                 if card.organization else None),
                "authors": card.authors,
                "published": card.published.to_date().isoformat() if card.published else None,
                "comments": card.comments,
                "upvotes": card.upvotes,
                "arxiv_id": card.arxiv_id,
                "url": card.url,
                "author_names": list(card.author_names) if card.author_names is not None else None,
                "github": {"url": card.github, "stars": card.github_stars} if card.github else None,
                "keywords": list(card.keywords) if card.keywords is not None else None,
                "project_page": card.project_page,
                "thumbnail": card.thumbnail,
            }
            for card in snapshot.cards
        ],
    }


def _output_needed() -> None:
    """For a command whose output is all it does: DigestError if standard output was closed
    before digest started (``>&-``), where the output would go nowhere."""
    if getattr(sys.stdout, "closed_at_start", False):
        raise DigestError("cannot write to standard output: it is closed")


def cmd_parse(args: argparse.Namespace) -> int:
    from digest.inputs import read_snapshot_file
    from digest.dates import resolve_snapshot_dates

    _output_needed()

    parsed = [read_snapshot_file(Path(f), f) for f in args.files]
    for note in (note for snapshot in parsed for note in snapshot.notes):
        _warn(note)
    snapshots = resolve_snapshot_dates(parsed, date_option=args.date, today=build_date(), warn=_warn)
    if args.json:
        # Characters as they are where the output carries them all; else as JSON's \u escapes
        # (the stream's own escapes for what it lacks would be no JSON).
        unicode = codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name.startswith("utf-")
        json.dump([snapshot_json(s) for s in snapshots], sys.stdout, ensure_ascii=not unicode, indent=2)
        sys.stdout.write("\n")
        return 0
    for snapshot in snapshots:
        print(f"{snapshot.source}: {snapshot.date} ({snapshot.date_source}), {snapshot.format}, "
              f"{plural(len(snapshot.cards), 'paper')}")
        for card in snapshot.cards:
            print(f"  {card.rank:3}. {card.title}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from digest.inputs import check_inputs, repeat_warnings

    checked = None if args.clean else check_inputs(args.content, args.out, args.templates, search=args.search,
                                                   warn=_warn)
    if checked and checked.unchanged:
        repeat_warnings(checked.previous, _warn, args.strict)
        if not args.quiet:
            _report_done(f"digest: nothing changed since the last build of {args.out}",
                         f"the site in {args.out} is up to date")
        return 0
    from digest.build import build
    from digest.parallel import available_cores
    from digest.progress import choose_progress

    # More processes than cores cannot speed up rendering, which keeps a core busy (and -j 100000
    # would fork one per page).
    jobs = min(args.jobs, available_cores()) if args.jobs else None
    progress = choose_progress(quiet=args.quiet, verbose=args.verbose)
    try:
        result = build(args.content, args.out, templates_dir=args.templates, warn=_warn, search=args.search,
                       progress=progress, strict=args.strict, clean=args.clean, jobs=jobs,
                       checked=checked)
    finally:
        progress.close()
    if args.quiet:
        return 0
    if result.unchanged:
        _report_done(f"digest: nothing changed since the last build of {result.out_dir}",
                     f"the site in {result.out_dir} is up to date")
        return 0
    site = result.site
    _report_done(f"digest: built {plural(len(site.days), 'day')}, {plural(len(site.library.papers), 'paper')}, "
                 f"{plural(len(site.topics), 'topic')}: {len(site.files)} files in {result.out_dir} "
                 f"({len(result.written)} written), {len(site.markdown)} Markdown pages in {args.content}",
                 f"the site is built: {result.out_dir} holds it")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from digest.check import check_content
    report = check_content(args.content, today=build_date(), templates_dir=args.templates, search=args.search)
    for error in report.errors:
        _error(error)
    for warning in report.warnings:
        _warn(warning)
    failed = bool(report.errors) or (args.strict and bool(report.warnings))
    if args.quiet:
        return 1 if failed else 0
    print(f"digest: checked {args.content} ({plural(report.snapshots, 'snapshot')}): "
          f"{plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
          + (" (--strict: warnings fail)" if args.strict and report.warnings else ""))
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from digest.build import build, check_build_folders
    from digest.cache import cache_dir_for
    from digest.config import load_config
    from digest.serve import serve

    def rebuild() -> str:
        """Build; the path of the site's base URL, which serve serves it under."""
        # One process: forking beside the server and watcher threads is not safe.
        result = build(args.content, args.out, templates_dir=args.templates, warn=_warn, search=args.search, jobs=1)
        if not result.unchanged:
            print(f"digest: built {len(result.site.files)} files ({len(result.written)} written)", file=sys.stderr)
        else:  # an edit undone, a broken file put back as it was: the site served is this build's
            print("digest: nothing changed since the last build", file=sys.stderr)
        # A build that found nothing changed read no settings: the last build's are these.
        config = load_config(args.content) if result.unchanged else result.site.loaded.config
        return urlsplit(config.site.base_url).path or "/"

    def ready(url: str) -> None:
        print(f"digest: serving {args.out} at {url} (Ctrl-C to stop)", file=sys.stderr, flush=True)

    templates = args.templates or default_templates_dir()
    # A folder no build may write into is not served either: the server would show what is there.
    check_build_folders(args.content, args.out, templates, cache_dir_for(args.out))
    try:
        serve(args.content, args.out, templates, host=args.host, port=args.port, rebuild=rebuild,
              report=lambda line: print(line, file=sys.stderr, flush=True), ready=ready)
    except KeyboardInterrupt:
        print("digest: stopped", file=sys.stderr)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from digest.build import load

    _output_needed()
    library = load(args.content, warn=_warn).library
    titles = {t.slug: t.title for t in library.topics}
    for paper in sorted(library.papers.values(), key=lambda p: p.title.casefold()):
        print(paper.title)
        if not paper.topics:
            print("    Other (no topic matched)")
        for match in paper.topics:
            print(f"    {titles[match.topic]} [{match.topic}] score {match.score:g}: {', '.join(match.terms)}")
    return 0


def _newsletter(args: argparse.Namespace):
    from digest.build import load, template_environment
    from digest.newsletter import pick_day, render_newsletter

    loaded = load(args.content, warn=_warn)
    env, _ = template_environment(args.templates)
    return loaded, render_newsletter(pick_day(loaded.days, args.day), loaded.config, env)


def cmd_email(args: argparse.Namespace) -> int:
    from digest.inputs import default_templates_dir
    from digest.output import (check_outside_content_folders, check_outside_templates_folder, check_relative_path,
                               write_all_replacing)

    check_outside_content_folders(args.content, args.out)  # an e-mail's DATE.txt could replace a snapshot
    check_outside_templates_folder(args.templates or default_templates_dir(), args.out)  # DATE.html: a template
    _, newsletter = _newsletter(args)
    files = {args.out / Path(check_relative_path(path)).name: data for path, data in newsletter.files().items()}
    earlier = _earlier_export(next(t for t in files if t.suffix == ".eml"))
    for target in files:  # before any is written: the three, or none
        if target.is_dir():
            raise DigestError("cannot write: a folder is in the way", target)
        # A file of the user's there, a snapshot saved as DATE.txt say, is not replaced: only the
        # files of an earlier ``digest email`` of the day, as its .eml holds them.
        if os.path.lexists(target) and ((saved := _saved_bytes(target)) is None or saved != earlier.get(target.suffix)):
            raise DigestError("not replaced: a file digest did not write is there; give --out another folder",
                              target)
    if args.out.exists() and not args.out.is_dir():
        raise DigestError("not a folder: give --out a folder to write the e-mail's files into", args.out)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        write_all_replacing(files)
    except OSError as error:
        raise DigestError(f"cannot write: {error.strerror}", error.filename or args.out) from None
    if not args.quiet:  # once all are written: a reader that stops reading (head) stops none of them
        _report_done("\n".join(map(str, files)), f"the e-mail's files are written into {args.out}")
    return 0


#: An e-mail of a day is about 200 KB (email.max_html_bytes and its text); a far larger file is no e-mail of digest's.
MAX_EMAIL_BYTES = 16 * 1024 * 1024


def _earlier_export(eml: Path) -> dict[str, bytes]:
    """The files an earlier ``digest email`` of the day wrote, by suffix, as the e-mail it wrote
    at ``eml`` holds them (its Message-ID is digest's, see digest.newsletter.build_message):
    the .eml, and the .txt and .html its two parts are; nothing when ``eml`` is no such e-mail."""
    from email import message_from_bytes, policy

    data = _saved_bytes(eml)
    if data is None or re.search(rb"(?:^|\r\n)Message-ID: <digest\.", data[:4096]) is None:
        return {}
    files = {".eml": data}
    for part in message_from_bytes(data, policy=policy.compat32).walk():
        suffix = {"text/plain": ".txt", "text/html": ".html"}.get(part.get_content_type())
        if suffix and suffix not in files:
            files[suffix] = part.get_payload(decode=True).replace(b"\r\n", b"\n")  # written with LF, sent with CRLF
    return files


def _saved_bytes(path: Path) -> bytes | None:
    """The bytes of the regular file at ``path`` (a link is not followed), or None."""
    try:
        if not path.is_symlink():
            return read_bounded(path, MAX_EMAIL_BYTES)
    except OSError:
        pass
    return None


def cmd_send(args: argparse.Namespace) -> int:
    from digest.config import recipients_of
    from digest.newsletter import dated_for_sending, send_message, smtp_login

    # --to takes every word after it: a day given after the addresses is taken for one.
    day = next((value for value in args.to if value == "latest" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)), None)
    if day is not None:
        raise UsageError(f"not an e-mail address: {day!r} is a day; give the day before --to "
                         f"(digest send {day} --to ADDR)")
    try:
        recipients = recipients_of(args.to)
    except DigestError as error:  # a value of the command line
        raise UsageError(f"--to: {error.message}") from None
    loaded, newsletter = _newsletter(args)
    mail = loaded.config.email
    user, _ = smtp_login()
    if args.dry_run:
        print(f"Would send '{newsletter.subject}' ({len(newsletter.message):,} bytes) "
              f"from {mail.sender} to {', '.join(recipients)} through {mail.smtp_host}:{mail.smtp_port} "
              f"({mail.smtp_security}{f', logged in as {user}' if user else ''})")
        return 0
    send_message(dated_for_sending(newsletter.message, dt.datetime.now(dt.timezone.utc)), recipients, mail)
    if not args.quiet:
        _report_done(f"Sent '{newsletter.subject}' to {', '.join(recipients)}",
                     f"the e-mail is sent to {', '.join(recipients)}")
    return 0


def _report_stored(stored, quiet: bool) -> None:
    if quiet:
        return
    snapshot = stored.snapshot
    what = f"{snapshot.format} snapshot of {snapshot.date.isoformat()}, {plural(len(snapshot.cards), 'paper')}"
    done = "Replaced" if stored.replaced else "Added" if stored.changed else "Already there"
    _report_done(f"{done}: {stored.path} ({what})", f"the snapshot is stored: {stored.path}")


def cmd_add(args: argparse.Namespace) -> int:
    from digest.store import store_snapshot

    source = Path(args.file)
    data = read_snapshot_bytes(source, str(source))
    stored = store_snapshot(args.content, data, str(source), date_option=args.date, force=args.force,
                            today=build_date(), warn=_warn)
    _report_stored(stored, args.quiet)
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from digest.config import load_config
    from digest.fetch import api_request_url, check_fetch_url, download
    from digest.store import require_content_folder, store_snapshot

    require_content_folder(args.content)  # before the settings, whose every missing file would be told
    site = load_config(args.content).site
    if args.url is not None:
        try:
            check_fetch_url(args.url)
        except DigestError as error:  # a value of the command line
            raise UsageError(f"--url: {error.message}") from None
    url = api_request_url(args.url or site.fetch_url, args.date)
    data = download(url, timeout=site.fetch_timeout if args.timeout is None else args.timeout)
    stored = store_snapshot(args.content, data, url, date_option=args.date, force=args.force,
                            today=build_date(), warn=_warn)
    _report_stored(stored, args.quiet)
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: one line, exit 2
        raise UsageError(f"{message} (see '{self.prog} --help')")


CONTENT_HELP = "content folder, which holds site.yaml (default: content)"
OUT_HELP = "output folder (default: site)"
TEMPLATES_HELP = "templates folder (default: digest's own)"


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="digest", description="Publish a research-paper digest from Daily Papers snapshots.")
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build_cmd = commands.add_parser("build", help="build the site (the default command)")
    build_cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
    build_cmd.add_argument("--out", type=_folder, default=Path("site"), help=OUT_HELP)
    build_cmd.add_argument("--templates", type=_folder, default=None, help=TEMPLATES_HELP)
    talk = build_cmd.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    talk.add_argument("-v", "--verbose", action="store_true", help="print every stage and its time")
    build_cmd.add_argument("--no-search", dest="search", action="store_false",
                           help="leave out the search page and its index")
    build_cmd.add_argument("--strict", action="store_true", help="fail on warnings, and write nothing")
    build_cmd.add_argument("--clean", action="store_true",
                           help="ignore what earlier builds left in the cache and redo everything")
    build_cmd.add_argument("-j", "--jobs", type=_positive_int, default=None,
                           help="worker processes for parsing, topic matching and rendering, at most one per "
                                "core (default: one per core on large sites)")
    build_cmd.set_defaults(func=cmd_build)

    check_cmd = commands.add_parser("check", help="check all content and list every problem; write nothing")
    check_cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
    check_cmd.add_argument("--templates", type=_folder, default=None, help=TEMPLATES_HELP)
    check_cmd.add_argument("--strict", action="store_true", help="fail on warnings too")
    check_cmd.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    check_cmd.add_argument("--no-search", dest="search", action="store_false",
                           help="check for a site built with --no-search (no search page)")
    check_cmd.set_defaults(func=cmd_check)

    serve_cmd = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and reload on changes")
    serve_cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
    serve_cmd.add_argument("--out", type=_folder, default=Path("site"), help=OUT_HELP)
    serve_cmd.add_argument("--templates", type=_folder, default=None, help=TEMPLATES_HELP)
    serve_cmd.add_argument("--host", type=_host, default="127.0.0.1",
                           help="address to listen on, IPv4 or IPv6 (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--no-search", dest="search", action="store_false", help="leave out the search page and its index")
    serve_cmd.set_defaults(func=cmd_serve)

    parse_cmd = commands.add_parser("parse", help="parse snapshot files and print what they hold")
    parse_cmd.add_argument("files", nargs="+", metavar="FILE", help="snapshot files, of any format")
    parse_cmd.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    parse_cmd.add_argument("--date", type=_date, default=None,
                           help="list day (YYYY-MM-DD) for files whose name has no date")
    parse_cmd.set_defaults(func=cmd_parse)

    topics_cmd = commands.add_parser("topics", help="print each paper's topics and the terms that matched")
    topics_cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
    topics_cmd.set_defaults(func=cmd_topics)

    add_cmd = commands.add_parser("add", help="check a snapshot and file it under its list day in content/snapshots")
    add_cmd.add_argument("file", metavar="FILE", help="a snapshot file, of any format")
    fetch_cmd = commands.add_parser("fetch", help="download a day from the hub's API into content/snapshots")
    fetch_cmd.add_argument("--url", default=None, help="the API URL (default: fetch_url in site.yaml)")
    fetch_cmd.add_argument("--timeout", type=_timeout, default=None, help="seconds (default: fetch_timeout)")
    for cmd, func in ((add_cmd, cmd_add), (fetch_cmd, cmd_fetch)):
        cmd.add_argument("--date", type=_date, default=None, help="the list day, YYYY-MM-DD")
        cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
        cmd.add_argument("--force", action="store_true", help="replace a different snapshot of the same day")
        cmd.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
        cmd.set_defaults(func=func)

    for name, func, help_text in (("email", cmd_email, "write one day's e-mail (.html, .txt, .eml)"),
                                  ("send", cmd_send, "send one day's e-mail through SMTP")):
        cmd = commands.add_parser(name, help=help_text)
        cmd.add_argument("day", nargs="?", type=_day, default="latest", metavar="DATE",
                         help="YYYY-MM-DD or 'latest' (default)")
        cmd.add_argument("--content", type=_folder, default=Path("content"), help=CONTENT_HELP)
        cmd.add_argument("--templates", type=_folder, default=None, help=TEMPLATES_HELP)
        cmd.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
        cmd.set_defaults(func=func)
        if name == "email":
            cmd.add_argument("--out", type=_folder, default=Path("."), help="folder to write to (default: .)")
        else:
            cmd.add_argument("--to", nargs="+", action="extend", required=True, metavar="ADDR",
                             help="recipients (--to may be given more than once)")
            cmd.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = make_parser()
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            _command_after_options(parser, argv)
            argv = ["build", *argv]
        args, unknown = parser.parse_known_args(argv)
        if unknown.count("--") == argv.count("--") > 0:
            # The first '--' ends the options: no argument (a second one is).  argparse leaves it
            # over where no argument takes what follows it (where one does, it removes it there).
            unknown.remove("--")
        if unknown:  # argparse would point at 'digest --help', which lists no command's options
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)} (see 'digest {args.command} --help')")
        content = getattr(args, "content", None)
        if content is not None and args.command not in ("add", "fetch") and not content.is_dir():
            # Else each file it should hold was missing, one line each (add and fetch say so themselves).
            raise DigestError(f"{'not a folder' if content.exists() else 'no such content folder'}: give --content "
                              f"the folder that holds site.yaml and snapshots/", content)
        return args.func(args)
    except UsageError as error:
        _error(str(error))
        return 2
    except DigestError as error:
        _error(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as error:
        if tracebacks_asked():
            raise
        _error(str(file_system_error(error)))
        return 1
    except Exception as error:  # noqa: BLE001 - a bug in digest; bad input is a DigestError
        # One line, as for any error, naming what went wrong; the traceback is for whoever fixes it.
        # A failed build has left the site as it was either way.
        if isinstance(error.__cause__, KeyboardInterrupt):  # Ctrl-C while a class was made (__set_name__)
            print("digest: interrupted", file=sys.stderr)
            return 130
        if tracebacks_asked():
            raise
        _error(unexpected_error_message(error))
        return 70


def _command_after_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """UsageError for a command written after options (``digest -v build``, ``digest --port 8001
    serve``), which argparse would report as an unrecognized argument of the default command
    (or answer with the default command's help)."""
    options = [argument for argument in argv if not _asks_for_help(argument)]
    extra: list[str] = []
    with contextlib.suppress(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        _, extra = parser.parse_known_args(["build", *options])
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    command = next((argument for argument in extra if argument in commands), None)
    if command is not None:
        raise UsageError(f"{command!r} is a command: write it first, then its options (see 'digest {command} -h')")


def _asks_for_help(argument: str) -> bool:
    """-h, --help or a prefix of it argparse takes for it (--he), or -h among short options (-vh)."""
    return (len(argument) > 2 and "--help".startswith(argument)) or (
        re.fullmatch(r"-[A-Za-z]+", argument) is not None and "h" in argument)


class StandardOutput:
    """The command's standard output or error.  A write that fails (a full disk, a closed
    stream) is a DigestError, told in one line, not a bug; a character the stream's encoding
    lacks (PYTHONIOENCODING=ascii) is written as an escape; a stream closed before digest
    started (``>&-``) takes the output nowhere (``closed_at_start``: commands whose output is
    all they do refuse to run)."""

    def __init__(self, stream, name: str):
        self.closed_at_start = stream is None
        if stream is None:
            stream = open(os.devnull, "w", encoding="utf-8")
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
        self._stream, self._name = stream, name

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def _guarded(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:  # a reader that stopped reading, as head does: not an error to tell
            raise
        except (OSError, ValueError) as error:  # ValueError: the stream was closed
            raise DigestError(f"cannot write to standard {self._name}: "
                              f"{getattr(error, 'strerror', None) or error}") from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def run() -> None:
    """The ``digest`` command: ``main``, then exit at once.  A build of a long archive leaves
    millions of small objects behind, which Python would free one by one on the way out (about
    a second at 1,000 days); the operating system reclaims the memory all at once instead."""
    sys.stdout, sys.stderr = StandardOutput(sys.stdout, "output"), StandardOutput(sys.stderr, "error")
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 1
    except DigestError as error:
        _error(str(error))
        code = code or 1
    try:
        sys.stderr.flush()
    except (BrokenPipeError, DigestError):
        code = code or 1
    os._exit(code)
