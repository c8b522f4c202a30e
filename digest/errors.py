"""The one exception family for problems a user can fix.

Only ``digest.cli`` catches these; everywhere else they propagate.  ``str()``
gives the one-line message the CLI prints: ``file:line: what is wrong``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class DigestError(Exception):
    """A problem with the user's input or environment, not a bug in digest."""

    exit_code = 1  #: digest's exit status when it stops on this error

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = _escaped(self.path or "")
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        message = _LINE_BREAKS.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), self.message)
        return f"{where}: {message}" if where else message


class PartlySent(DigestError):
    """An e-mail that went to some of its recipients and not to others: a script that sends it
    again must leave out those it went to, so digest exits with a status of its own."""

    exit_code = 3


#: What str.splitlines() ends a line at: a message (which may quote a URL or a name given on the
#: command line) shows each as its escape, so that one error stays one line.
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def file_system_error(error: OSError) -> DigestError:
    """What the file system refused where digest did not look for it (a name too long for it, a
    permission, a full disk), told as the error it is, with the name it was about."""
    return DigestError(error.strerror or str(error), error.filename)


def _escaped(path: str) -> str:
    """A path on one line: a line break or other character not printable in a file's name is
    shown as its escape, so that the message stays one line."""
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in path)


def strict_error(warnings: int) -> DigestError:
    """What ``--strict`` says when a build has warnings."""
    return DigestError(f"--strict: {warnings} warning{'s' if warnings > 1 else ''}, so nothing was written")


class SnapshotError(DigestError):
    """A snapshot file that cannot be read as a Daily Papers list; ``opens_card`` says the line at
    fault is the first of its card (its title), for ``digest check``'s look past it."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None, *,
                 opens_card: bool = False):
        super().__init__(message, path, line)
        self.opens_card = opens_card


class ConfigError(DigestError):
    """A bad value in site.yaml or topics.yaml; ``key`` is the setting's, as the message names it."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None, *,
                 key: str | None = None):
        super().__init__(message, path, line)
        self.key = key


class UsageError(DigestError):
    """Bad command-line arguments (exit code 2)."""


class ConfigErrors(ConfigError):
    """Several configuration problems, reported together."""

    def __init__(self, errors: list[ConfigError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def tracebacks_asked() -> bool:
    """Whether DIGEST_TRACEBACK asks for the traceback of an unexpected error: set, and not to
    nothing or 0 (DIGEST_TRACEBACK=0 turned them on)."""
    return os.environ.get("DIGEST_TRACEBACK", "").strip() not in ("", "0")


def unexpected_error_message(error: Exception) -> str:
    """The one line told of an error digest did not foresee: a bug, not bad input."""
    detail = " ".join(str(error).split())[:200]
    return (f"internal error ({type(error).__name__}{': ' + detail if detail else ''}); "
            f"this is a bug in digest: please report it (DIGEST_TRACEBACK=1 shows where)")


#: Characters a terminal acts on rather than shows (other than line ends and tabs): control
#: characters, which can clear the screen or retitle the window, and the bidirectional
#: overrides, which reorder what is shown.  Messages quote snapshot text, which may hold them.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shortened(text: str, limit: int = 60) -> str:
    """Text from a snapshot as a message quotes it: cut, where it is longer than ``limit``, with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_named(number: int, title: str | None = None) -> str:
    """How a message names a card of a list: by its number, and by its title where one is given
    ("card 2, 'A title',")."""
    return f"card {number}" if title is None else f"card {number}, '{shortened(title)}',"


def shown(message: str) -> str:
    """A message as a terminal may show it: what it would act on (see _TERMINAL_CONTROLS) as escapes."""
    if message.isprintable():
        return message
    return _TERMINAL_CONTROLS.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), message)
