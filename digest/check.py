"""``digest check``: every problem in a content folder, all at once, without writing anything."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from digest import urls
from digest.build import PER_SNAPSHOT, cyclic_gc_paused, gather, note_unread_files
from digest.inputs import (NOT_A_PAGE, markdown_page_obstacles, no_snapshots_warning, page_folder_problems,
                           read_snapshot_bytes, snapshot_entries, snapshot_sources)
from digest.config import config_or_stand_ins
from digest.dates import filename_date, resolve_snapshot_dates
from digest.errors import DigestError, SnapshotError
from digest.models import ParsedSnapshot
from digest.output import pages_in_the_way
from digest.parse import MoreProblems, decode_snapshot, later_problems, parse_snapshot, problem_place
from digest.parallel import ordered_map


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    snapshots: int = 0


def _date_all(parsed: list[ParsedSnapshot], today: dt.date, report: Report) -> list[ParsedSnapshot]:
    """Date the snapshots together; a snapshot that cannot be dated is reported and left out, then
    retried.  The snapshots dated."""
    remaining = list(parsed)
    while remaining:
        warnings: list[str] = []
        try:
            resolve_snapshot_dates(remaining, today=today, warn=warnings.append)
        except SnapshotError as error:
            report.errors.append(str(error))
            remaining = [p for p in remaining if p.source != error.path]
            continue
        report.warnings.extend(warnings)
        break
    return remaining


def _parsed_or_problems(path: Path) -> ParsedSnapshot | tuple[list[str], list[str]]:
    """A snapshot file parsed, or what is wrong with it (as text: it may come from a worker
    process), in the order of their lines: the first problem the build meets, and those the
    reading past it finds (see digest.parse.later_problems); and, as a warning, whether more follow."""
    source = str(path)
    try:
        text = decode_snapshot(read_snapshot_bytes(path, source), source)
    except DigestError as error:  # a file that cannot be read or decoded: no cards to look past
        return [str(error)], []
    try:
        return parse_snapshot(text, source)
    except DigestError as error:
        later = later_problems(text, source, error) if isinstance(error, SnapshotError) else []
        notes = [str(later.pop())] if later and isinstance(later[-1], MoreProblems) else []  # always the last
        return [str(problem) for problem in sorted([error, *later], key=problem_place)], notes


def check_content(content_dir: Path, *, today: dt.date, templates_dir: Path | None = None,
                  search: bool = True) -> Report:
    """Every problem of the content folder (and templates), as a build would meet them; ``search``
    says whether the site has a search page (``--no-search``)."""
    report = Report()
    # Settings with problems have stand-ins, so that rendering can still find the problems of
    # templates and pages.
    config, setting_problems = config_or_stand_ins(content_dir)
    report.errors.extend(str(problem) for problem in setting_problems)
    parsed = []
    try:
        note_unread_files(content_dir, report.warnings.append)  # first, as the build: also where snapshots/ is missing
        files, problems = snapshot_entries(content_dir / "snapshots")
        report.errors.extend(str(problem) for problem in problems)
    except DigestError as error:
        report.errors.append(str(error))
        files = []
    for result in ordered_map(_parsed_or_problems, files, min_items=PER_SNAPSHOT):
        if isinstance(result, tuple):
            report.errors.extend(result[0])
            report.warnings.extend(result[1])
        else:
            parsed.append(result)
            report.warnings.extend(result.notes)
    report.snapshots = len(files)
    if not files and (content_dir / "snapshots").is_dir():
        report.warnings.append(no_snapshots_warning(content_dir / "snapshots"))
    folder_problems = page_folder_problems(content_dir)
    report.errors.extend(str(problem) for problem in folder_problems)
    obstacles = markdown_page_obstacles(content_dir)
    for path in obstacles:
        report.errors.append(str(DigestError(NOT_A_PAGE, path)))
    dated = {p.source for p in _date_all(parsed, today, report)}
    # Render in memory too, for problems of templates, e-mail sizes and pages in the way: the
    # site of the snapshots that read, as the build would make it once the others are mended.
    readable = [(str(path), read_snapshot_bytes(path, str(path))) for path in files if str(path) in dated]
    page_problems: list[str] = []
    try:
        with cyclic_gc_paused():
            gather(content_dir, templates_dir=templates_dir, today=today, search=False, search_page=search,
                   page_problems=page_problems, snapshots=(readable, snapshot_sources(readable)), config=config)
    except DigestError as error:
        report.errors.append(str(error))
    # The day page of a snapshot that does not read yet, which the build makes once it is mended.
    unread_days = (filename_date(str(path)) for path in files if str(path) not in dated)
    page_problems.extend(pages_in_the_way(content_dir, (urls.markdown_date_page(day) for day in unread_days if day)))
    # A linked folder is told once, not once a page; a page the folders' check told, not again.
    told = set(report.errors)
    report.errors.extend(problem for problem in dict.fromkeys(page_problems) if problem not in told)
    return report
