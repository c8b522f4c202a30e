"""Snapshot parsers: pure functions from a file's text to a ParsedSnapshot.

``parse_snapshot`` picks the parser by content.  Each parser raises
``SnapshotError`` naming the file and line for input it cannot read.
"""

from __future__ import annotations

from digest.errors import SnapshotError
from digest.models import ParsedSnapshot
from digest.parse.api import looks_like_json, parse_json_snapshot
from digest.parse.crawl import looks_like_crawler_dump, parse_crawler_dump
from digest.parse.html import looks_like_html, parse_html_snapshot
from digest.parse.text import parse_text_snapshot

__all__ = ["decode_snapshot", "parse_snapshot", "parse_text_snapshot", "parse_json_snapshot"]

#: Formats in the order they are tried: (name, does the text look like it, parser).
#: The text dump parser comes last: it takes anything and says clearly when it is not a snapshot.
PARSERS = (
    ("json", looks_like_json, parse_json_snapshot),
    ("html", looks_like_html, parse_html_snapshot),
    ("crawler dump", looks_like_crawler_dump, parse_crawler_dump),
    ("text", lambda text: True, parse_text_snapshot),
)


#: A day's page is a few hundred KB at most; far larger files are not snapshots.
MAX_SNAPSHOT_BYTES = 50 * 1024 * 1024


def decode_snapshot(data: bytes, source: str) -> str:
    """The text of a snapshot file, which must be UTF-8; binary data and huge files are refused."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"not a Daily Papers snapshot: {len(data) / 1048576:.0f} MB is far larger than a "
                            f"day's page (at most {MAX_SNAPSHOT_BYTES // 1048576} MB)", source)
    if b"\x00" in data[:65536]:
        raise SnapshotError("not a Daily Papers snapshot: binary data (NUL bytes)", source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SnapshotError(f"not UTF-8 text (byte 0x{data[error.start]:02x})", source, line) from None


def parse_snapshot(text: str, source: str) -> ParsedSnapshot:
    """Parse a snapshot of any supported format, recognised by its content, not its file name."""
    for _, looks_like, parse in PARSERS:
        if looks_like(text):
            return parse(text, source)
    raise SnapshotError("not a Daily Papers snapshot: no list of papers found", source, 1)
