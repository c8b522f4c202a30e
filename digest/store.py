"""Put a snapshot into ``content/snapshots/`` under its list day's name (``digest add`` and ``digest fetch``).

The snapshot is parsed and dated first, together with the snapshots already
there (they can date it), so nothing unreadable is ever stored.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from digest.files import SNAPSHOT_SUFFIXES
from digest.inputs import read_snapshot_file, snapshot_files, utc_today
from digest.output import pages_lock, write_replacing
from digest.dates import after_today, after_today_warning, resolve_snapshot_dates
from digest.errors import DigestError
from digest.models import Snapshot
from digest.parse import parse_snapshot_bytes
from digest.text import plural

#: File name ending per format when the incoming name has no usable one.
SUFFIXES = {"json": ".json", "html": ".html", "text": ".txt"}
#: A new snapshot with fewer papers than this share of the previous one of its format looks incomplete.
INCOMPLETE_SHARE = 0.5


@dataclass(frozen=True)
class Stored:
    path: Path
    snapshot: Snapshot
    changed: bool  #: False when the same bytes were already there
    replaced: bool = False  #: True when other bytes were there, replaced with --force


def snapshot_name(snapshot: Snapshot, incoming: str) -> str:
    """``YYYY-MM-DD`` plus the incoming file's ending when it is a snapshot ending, else the
    format's (also for a download: a URL's query or fragment, "?file=x.html", is no ending)."""
    suffix = PurePath(incoming).suffix.lower() if "://" not in incoming else ""
    if suffix not in SNAPSHOT_SUFFIXES:
        suffix = SUFFIXES.get(snapshot.format, ".txt")
    return f"{snapshot.date.isoformat()}{suffix}"


def _same_file(path: Path, incoming: str) -> bool:
    try:
        return os.path.samefile(path, incoming)
    except (OSError, ValueError):  # incoming is a URL, or gone
        return False


def require_content_folder(content_dir: Path) -> None:
    """DigestError unless the folder holds site.yaml: a mistyped --content would quietly start another folder."""
    if not (content_dir / "site.yaml").is_file():
        raise DigestError("not a content folder (no site.yaml in it): give --content the folder that holds "
                          "site.yaml and snapshots/", content_dir)


#: How to give a snapshot refused for its list day another one, by where the day came from.
_REDATE = {"filename": ": rename the file by its list day (its name's date comes before --date)", "option": "",
           **dict.fromkeys(("content", "other-snapshots", "assumed"), ": give its list day with --date")}


def store_snapshot(content_dir: Path, data: bytes, incoming: str, *, date_option: dt.date | None = None,
                   force: bool = False, today: dt.date, warn: Callable[[str], None],
                   clock: dt.date | None = None) -> Stored:
    """Validate ``data`` (named ``incoming`` in messages), date it, and write it into the snapshots folder.
    ``today`` is the build's (SOURCE_DATE_EPOCH's, when set); ``clock`` the machine's (default: its
    date now).  A list day after both is refused."""
    require_content_folder(content_dir)
    # One command at a time writes the content folder: two adds of one day at once each found no
    # snapshot there, and the second replaced the first's without --force.
    with pages_lock(content_dir, warn, required=False):
        return _store_snapshot(content_dir, data, incoming, date_option, force, today, warn, clock)


def _store_snapshot(content_dir: Path, data: bytes, incoming: str, date_option: dt.date | None, force: bool,
                    today: dt.date, warn: Callable[[str], None], clock: dt.date | None) -> Stored:
    folder = content_dir / "snapshots"
    new = parse_snapshot_bytes(data, incoming)
    for note in new.notes:
        warn(note)
    # The snapshots already there help date the new one.  One of them that cannot be read or dated
    # is left out, with a warning: it is no reason to refuse the new one (a daily fetch would lose
    # its download), and the build stops on it anyway.
    existing = []
    for path in snapshot_files(folder) if folder.is_dir() else []:
        try:
            existing.append(read_snapshot_file(path, str(path)))
        except DigestError as error:
            warn(f"{error}; left out when dating {incoming}")
    while True:
        warnings: list[str] = []
        try:
            resolved = resolve_snapshot_dates([*existing, new], date_option=date_option, option_from=len(existing),
                                              today=today, warn=warnings.append)
            break
        except DigestError as error:
            copy = next((s for s in existing if s.source == error.path and _same_file(Path(s.source), incoming)), None)
            if copy is not None:  # the file added, in the folder already: dated as the new one, with --date
                existing = [s for s in existing if s is not copy]
                continue
            if error.path == incoming or not any(s.source == error.path for s in existing):
                raise
            warn(f"{error}; left out when dating {incoming}")
            existing = [s for s in existing if s.source != error.path]
    snapshot, others = resolved[-1], resolved[:-1]
    # Filed under a day that has not come, it would head the site and send its e-mail now.  The
    # machine's clock decides too: SOURCE_DATE_EPOCH pins the output, not the day of the list.
    late = after_today(snapshot.date, snapshot.date_source, max(today, clock or utc_today()))
    told = after_today_warning(incoming, snapshot.date, snapshot.date_source, today) if late else None
    for warning in warnings:
        if warning != told:  # the error below says it
            warn(warning)
    if late is not None:
        raise DigestError(f"{late}; not added{_REDATE[snapshot.date_source]}", incoming)

    target = folder / snapshot_name(snapshot, incoming)
    # The same list of the day, under this name or another ("2026-01-19.TXT"), saved with other line
    # ends or in UTF-16 too: already there.
    same = next((s for s in others if (s.date, s.cards) == (snapshot.date, snapshot.cards)), None)
    if same is not None:
        return Stored(Path(same.source), snapshot, changed=False)
    if _same_file(target, incoming):  # the file given is the one it would be stored as
        return Stored(target, snapshot, changed=False)
    replaced = target.is_file()
    if replaced:
        if not force:
            raise DigestError(f"{target} already holds a different snapshot of {snapshot.date.isoformat()}; "
                              f"give --force to replace it")
        # A capture cut short (a download the hub answered in part), filed over a whole one by a
        # daily run's --force, would lose the day's list for good.
        held = next((s for s in others if PurePath(s.source).name == target.name), None)
        if held is not None and len(snapshot.cards) < INCOMPLETE_SHARE * len(held.cards):
            raise DigestError(f"{target} holds {plural(len(held.cards), 'paper')} of {snapshot.date.isoformat()}, "
                              f"and this snapshot only {len(snapshot.cards)}: not replaced (is it complete?); "
                              f"remove the file first to replace it all the same", incoming)
    earlier = [s for s in others if s.format == snapshot.format and s.date < snapshot.date
               and PurePath(s.source).name != target.name]
    if earlier:
        previous = max(earlier, key=lambda s: s.date)
        if len(snapshot.cards) < INCOMPLETE_SHARE * len(previous.cards):
            warn(f"{incoming}: only {plural(len(snapshot.cards), 'paper')}, against {len(previous.cards)} on "
                 f"{previous.date.isoformat()}; is the snapshot complete?")
    if os.path.lexists(folder) and not folder.is_dir():  # mkdir would say "File exists"
        what = "a link to no folder" if folder.is_symlink() else "not a folder"
        raise DigestError(f"cannot add the snapshot: the snapshots folder is {what}", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_replacing(target, data)
    except OSError as error:
        raise DigestError(f"cannot write: {error.strerror}", error.filename or target) from None
    return Stored(target, snapshot, changed=True, replaced=replaced)
