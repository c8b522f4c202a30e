"""Download a day of the Daily Papers list from the hub's API (``digest fetch``)."""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from digest import __version__
from digest.config import MAX_TIMEOUT, ascii_url
from digest.deadline import Overrun, time_limit
from digest.errors import DigestError
from digest.urls import url_problem

#: The API answers with a few hundred KB at most; anything far larger is not it.
MAX_BYTES = 20 * 1024 * 1024


def api_request_url(api_url: str, date: dt.date | None) -> str:
    """The URL for one day (``?date=YYYY-MM-DD``, added to its query, before any ``#fragment``),
    or for the current list without a date; in ASCII (see digest.config.ascii_url)."""
    try:
        api_url = ascii_url(api_url)
    except ValueError as error:
        raise DigestError(f"cannot fetch {api_url!r}: {error}") from None
    if date is None:
        return api_url
    try:
        parts = urlsplit(api_url)
        parts.port  # noqa: B018 - as in download: named as given, not with the day added
    except ValueError as error:
        raise DigestError(f"not a URL: {api_url!r} ({error})") from None
    day = urlencode({"date": date.isoformat()})
    return urlunsplit(parts._replace(query=f"{parts.query}&{day}" if parts.query else day))


def _caused_by(error: BaseException, kind: type) -> bool:
    """Whether an error of ``kind`` led to ``error``, raised while handling it or from it."""
    seen = error.__cause__ or error.__context__
    while seen is not None and not isinstance(seen, kind):
        seen = seen.__cause__ or seen.__context__
    return seen is not None


def check_fetch_url(url: str) -> str:
    """The URL as a request carries it (see api_request_url); DigestError for one that cannot be
    fetched: not http(s), malformed, or with a user name."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number up to 65535
    except ValueError as error:
        raise DigestError(f"not a URL: {url!r} ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise DigestError(f"can only fetch http(s) URLs, not {url!r}")
    if parts.username is not None or parts.password is not None:  # told without it: messages end up in logs
        raise DigestError("cannot fetch a URL with a user name or password in it (the hub's API needs none)")
    if problem := url_problem(url):
        raise DigestError(f"cannot fetch {url!r}: {problem}")
    return api_request_url(url, None)  # an address that can be written in ASCII


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an address fetch takes itself (urllib also follows ftp: and
    addresses with a user name), in ASCII, and keeps the last, which the errors name."""

    def __init__(self) -> None:
        super().__init__()
        self.last: str | None = None

    def http_error_302(self, req, fp, code, msg, headers):
        # http.client reads a header as Latin-1, and urllib percent-encodes what is not ASCII of it,
        # so a Location written in UTF-8 (as browsers read it) would name a host no resolver knows.
        # It is taken as UTF-8, its host made ASCII as fetch's own address's is (see ascii_url).
        location = headers.get("location") or headers.get("uri")
        try:
            written = location.encode("latin-1").decode("utf-8") if location and not location.isascii() else None
        except UnicodeError:  # not UTF-8: urllib percent-encodes its bytes
            written = None
        try:
            if written is not None:  # what else is not a URL's (a space) urllib percent-encodes, as before
                for name in ("location", "uri"):
                    if name in headers:
                        headers.replace_header(name, ascii_url(urljoin(req.full_url, written)))
            return super().http_error_302(req, fp, code, msg, headers)
        except ValueError as error:  # an address that is no URL (urllib's error, or ascii_url's)
            raise DigestError(f"{req.full_url} redirected to an address digest does not fetch: "
                              f"{written or location!r} ({error})") from None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            newurl = check_fetch_url(newurl)
        except DigestError as error:
            raise DigestError(f"{req.full_url} redirected to an address digest does not fetch: "
                              f"{error.message}") from None
        self.last = newurl
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def shown(self, url: str) -> str:
        """The address the request went to last, as errors name it."""
        return url if self.last is None else f"{self.last} (redirected from {url})"


def _download_error(error: BaseException, url: str, timeout: float) -> DigestError:
    """What went wrong with a download from ``url``, in one line."""
    if isinstance(error, Overrun):
        return DigestError(f"no complete answer from {url} within {timeout:g} s")
    if isinstance(error, urllib.error.HTTPError):
        # The first line: urllib adds lines of its own ("...would lead to an infinite loop.\nThe last 30x...").
        reason = str(error.reason).strip().split("\n", 1)[0]
        return DigestError(f"the server answered {error.code} {reason} for {url}")
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return DigestError(f"no answer from {url} within {timeout:g} s")
        return DigestError(f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}")
    if isinstance(error, (socket.timeout, TimeoutError)):
        return DigestError(f"no answer from {url} within {timeout:g} s")
    if isinstance(error, OSError):
        return DigestError(f"download from {url} failed: {error.strerror or error}")
    if isinstance(error, (ValueError, http.client.InvalidURL)):  # a URL that cannot be sent (a control character)
        return DigestError(f"cannot fetch {url!r}: {error}")
    if isinstance(error, http.client.IncompleteRead):
        if _caused_by(error, ValueError):  # http.client's way of telling a chunk size that is no number
            return DigestError(f"the answer from {url} is not valid HTTP (a chunk size that is no number)")
        # a chunked answer whose server closed the connection before its last chunk
        return DigestError(f"download from {url} incomplete: the server closed the connection before the end of "
                           f"the answer")
    # a status line, header or chunk that is not HTTP
    return DigestError(f"the answer from {url} is not valid HTTP ({type(error).__name__})")


def download(url: str, *, timeout: float) -> bytes:
    """The body of a GET request; every failure becomes a one-line DigestError.  ``timeout``
    bounds the whole download, not only each read: a server answering a byte at a time, or
    with ``100 Continue`` for ever, is given up on."""
    check_fetch_url(url)
    if not 0 < timeout < float("inf"):  # also refuses NaN
        raise DigestError(f"the timeout must be a number of seconds above 0, not {timeout:g}")
    if timeout > MAX_TIMEOUT:
        raise DigestError(f"the timeout must be at most {MAX_TIMEOUT:,} seconds (a day), not {timeout:g}")
    request = urllib.request.Request(url, headers={"User-Agent": f"digest/{__version__}",
                                                   "Accept": "application/json"})
    redirects = _CheckedRedirects()
    try:
        with time_limit(timeout), urllib.request.build_opener(redirects).open(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
            # What the Content-Length said is still to come: a read of so many bytes returns what came
            # before the server closed the connection, without a word.  (It counts the bytes as sent,
            # compressed or not: digest asks for no encoding, and decodes none.)
            missing = response.length if len(data) <= MAX_BYTES else None
    except (Overrun, OSError, ValueError, http.client.HTTPException) as error:
        raise _download_error(error, redirects.shown(url), timeout) from None
    url = redirects.shown(url)
    if len(data) > MAX_BYTES:
        raise DigestError(f"the answer from {url} is larger than {MAX_BYTES // (1024 * 1024)} MB; not a day of papers")
    if missing:
        raise DigestError(f"download from {url} incomplete: {len(data):,} of {len(data) + missing:,} bytes "
                          f"(the server closed the connection)")
    return data
