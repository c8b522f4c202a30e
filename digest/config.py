"""Load and validate ``site.yaml`` and ``topics.yaml`` into frozen dataclasses.

Every problem is collected and reported at once, each naming the file and the
key at fault, before the build starts.
"""

from __future__ import annotations

import ipaddress
import math
import re
import reprlib
import sys
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from email import policy
from email.headerregistry import Address, Group
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml

from digest.errors import ConfigError, ConfigErrors, DigestError
from digest.files import read_bounded
from digest.text import DIRECTION_CONTROLS, UNFIT, invisible
from digest.urls import unbracketed, url_problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
OTHER_TOPIC = "other"


#: The longest text a setting may hold (a description: MAX_TEXT_LINES).  Far longer is a mistake,
#: and would surface only later, as a page or an e-mail too large.
MAX_TEXT, MAX_TEXT_LINES = 4_000, 20_000

#: The longest wait allowed for the hub's API or an SMTP server, in seconds: a day.  Far longer
#: is no wait a user means, and the system's timers cannot hold it.
MAX_TIMEOUT = 86_400
#: The shortest: a tenth of a second is already less than a server across the world takes to answer.
MIN_TIMEOUT = 0.1


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str
    base_url: str  #: absolute, ends with "/"
    description: str = ""
    author: str = ""
    author_email: str = ""
    language: str = "en"
    feed_items: int = 30  #: list days in the site-wide feeds
    topic_feed_items: int = 50  #: papers in each topic feed
    excerpt_chars: int = 280  #: length of abstract excerpts in feeds
    topic_page_size: int = 50  #: papers per topic page
    fetch_url: str = "https://huggingface.co/api/daily_papers"  #: the API digest fetch reads
    fetch_timeout: float = 30.0

    def url(self, path: str) -> str:
        """The absolute URL of a site path such as ``dates/2026-01-19/``."""
        return self.base_url + path.lstrip("/")


@dataclass(frozen=True, slots=True)
class TopicRule:
    """One way a paper can match a topic: a phrase or a regular expression."""

    label: str  #: as written in topics.yaml
    pattern: re.Pattern[str]
    weight: float = 1.0
    #: Lowercase text every match contains (a phrase's longest word, see ``regex_needle`` for
    #: regex rules), to skip the regex cheaply when it cannot match; empty when there is none.
    needle: str = ""
    #: For a phrase of ASCII words: the same matches as ``pattern``, lowercased, searched in
    #: lowercased ASCII text (see ``ascii_phrase_pattern``); None for other rules.
    ascii_pattern: re.Pattern[str] | None = None
    #: For a phrase of words made of ``[0-9a-z_]`` only: words of lowercased ASCII text, one of
    #: which every match holds whole (see ``phrase_words``); None for other rules.
    #: Left out of the rule's repr, by which caches key what the rules make (digest.cache.key_of):
    #: a set's order changes from one process to the next (hash randomisation).
    words: frozenset[bytes] | None = field(default=None, repr=False)
    #: For a regex of ASCII characters: ``pattern`` with ASCII classes, which finds the same in
    #: ASCII text with no information separators (U+001C to U+001F, which only Unicode takes for
    #: spaces), about twice as fast; None for other rules or where the regex sets its own mode.
    ascii_regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class TopicConfig:
    slug: str
    title: str
    description: str
    rules: tuple[TopicRule, ...]
    min_score: float = 1.0


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """The ``email:`` section of site.yaml: headers, links and SMTP settings of the newsletter.

    SMTP user and password never come from files: only from the environment
    variables DIGEST_SMTP_USER and DIGEST_SMTP_PASSWORD.
    """

    sender: str  #: From, e.g. ``Trending Papers <digest@example.org>``
    to: str  #: To header of the exported message (the list address)
    reply_to: str = ""
    unsubscribe_url: str = ""  #: https: or mailto: link for the footer and List-Unsubscribe
    #: List-Unsubscribe-Post (RFC 8058): the https unsubscribe URL takes a POST that unsubscribes at once
    one_click_unsubscribe: bool = False
    abstract_chars: int = 300  #: abstract excerpt length before "read more"
    max_html_bytes: int = 102_000  #: Gmail clips messages whose HTML is larger
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  #: starttls, ssl or none
    smtp_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Config:
    site: SiteConfig
    topics: tuple[TopicConfig, ...]
    email: EmailConfig


#: A settings file is a few kilobytes; reading stops past this, so that a link to an endless
#: stream such as /dev/zero is refused instead of filling memory.
MAX_CONFIG_BYTES = 10 * 1024 * 1024

# Values in messages are shown shortened: a value can be huge (a YAML alias "billion laughs"
# expands to hundreds of millions of items if walked in full) or hold line breaks.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 2, 80, 80, 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = _SHORT.maxfrozenset = 4


def show(value: Any) -> str:
    """A one-line, bounded repr of a user's value for an error message; YAML's own values
    (true, false, null) as YAML writes them, not as Python does."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    try:
        return _SHORT.repr(value)
    except Exception:  # noqa: BLE001 - a message must never fail; the type is enough
        return f"<{type(value).__name__}>"


def show_url(url: str) -> str:
    """``show(url)`` with the password it may hold left out: messages end up in logs."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return show(url.replace(f":{password}@", ":…@", 1) if password else url)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where PyYAML has it
    """YAML's safe loader, refusing a key given twice in one mapping: YAML says keys are unique,
    and PyYAML would keep the last without a word, so a setting written twice (once forgotten
    further down) would quietly lose the first.  A key is the text written (every key of digest's
    settings is a word): ``yes:``, ``~:`` or ``1:`` is no True, None or 1, which a message about
    an unknown key could not show as written, nor find the line of."""

    def construct_mapping(self, node, deep=False):
        seen: set[str] = set()
        for key, _ in node.value:  # the keys as written: a merge (<<) may be overridden
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                key.tag = "tag:yaml.org,2002:str"
                if key.value in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"key {show(key.value)} is given twice",
                                                            key.start_mark)
                seen.add(key.value)
        return super().construct_mapping(node, deep)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except ValueError as error:
            # Raised while building a value: a date such as 2024-13-45, an integer of more than
            # 4300 digits (Python's limit on converting text to int).  Told at the value's line.
            raise yaml.constructor.ConstructorError(None, None, f"a value cannot be read: {_reason(error)}",
                                                    node.start_mark) from None

    def construct_yaml_int(self, node):
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # more than 4,300 digits: Python's limit on reading digits
            value = None
        # One of thousands of digits in hex (0x...), octal or binary passes that limit, and would
        # fail where it is printed.
        if value is None or value.bit_length() > 10_000:
            raise yaml.constructor.ConstructorError(None, None, "a number of thousands of digits",
                                                    node.start_mark)
        return _WrittenInt(value, node.value)

    def construct_yaml_float(self, node):
        return _WrittenFloat(super().construct_yaml_float(node), node.value)


#: How YAML 1.1 (PyYAML's) writes numbers a reader does not expect: octal with a leading zero
#: (025 is 21) and sixty-based (1:30 is 90).  Hexadecimal (0x19) says what it is.
_MISREAD_NUMBER_RE = re.compile(r"[-+]?(?:0[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)")


class _WrittenInt(int):
    """A number as YAML reads it, with the text it was written as: a text setting (a title of
    007, 12:30 or 1.10) takes the text, not the number YAML makes of it (7, 750, 1.1)."""

    def __new__(cls, value: int, written: str):
        number = super().__new__(cls, value)
        number.written = written
        return number


class _WrittenFloat(float):
    """A float as YAML reads it, with the text it was written as (see _WrittenInt)."""

    def __new__(cls, value: float, written: str):
        number = super().__new__(cls, value)
        number.written = written
        return number


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def written_text(value: str | int | float) -> str:
    """A text setting's value as written in the file, also where YAML read it as a number."""
    return getattr(value, "written", None) or str(value)


#: What YAML was reading when it failed, as its errors name it, for the parts that a closing
#: quote or bracket ends: one left unclosed is found out lines later.
_UNCLOSED = {"while parsing a flow sequence": "the [ ] list", "while parsing a flow mapping": "the { } mapping",
             "while scanning a quoted scalar": "the quoted text"}


def _yaml_context(error: yaml.YAMLError) -> str:
    """Where an unclosed quote or bracket opens, when YAML found out on another line (at the end
    of the file, or at the next line that cannot be in it)."""
    context, begun, found = (getattr(error, name, None) for name in ("context", "context_mark", "problem_mark"))
    if context not in _UNCLOSED or begun is None or found is None or begun.line == found.line:
        return ""
    return f" (in {_UNCLOSED[context]} begun at line {begun.line + 1})"


def _reason(error: ValueError) -> str:
    """The first sentence of a ValueError's message, for one line."""
    return str(error).split(";")[0].splitlines()[0][:200] if str(error) else type(error).__name__


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors name the line."""
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except OSError as error:  # a folder, a link loop, no permission, ...
        raise ConfigError(f"cannot read: {error.strerror or error}", path) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // 1048576} MB: not a settings file", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"not UTF-8 text (byte 0x{data[error.start]:02x})", path, line) from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow: a NUL, a control character
        # Read from text, the character is its code point.  Its first one in the text is where the
        # reader stopped (whose position counts bytes or characters, as the parser is libyaml's or Python's).
        found = text.find(chr(error.character))
        raise ConfigError(f"invalid YAML: {error.reason} (U+{error.character:04X})", path,
                          text.count("\n", 0, found) + 1 if found >= 0 else None) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        if problem.startswith("but ") and getattr(error, "context", None):  # "but found another document"
            problem = f"{error.context}, {problem}"
        raise ConfigError(f"invalid YAML: {problem}{_yaml_context(error)}", path,
                          mark.line + 1 if mark else None) from None
    except ValueError as error:  # where _Loader.construct_object could not tell the value's line
        raise ConfigError(f"invalid YAML: a value cannot be read: {_reason(error)}", path) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", path) from None


def _field_defaults(kind: type) -> dict[str, Any]:
    """The defaults of a settings dataclass by field name: where the defaults of settings are written."""
    return {f.name: f.default for f in fields(kind) if f.default is not MISSING}


class _Checker:
    """Collects problems for one file so that all of them are reported together.  A setting's
    default, where none is given, is its field's in ``defaults`` (see ``_field_defaults``)."""

    def __init__(self, path: Path, defaults: dict[str, Any] | None = None):
        self.path = path
        self.defaults = defaults or {}
        self.errors: list[ConfigError] = []

    def fail(self, key: str, message: str) -> None:
        self.errors.append(ConfigError(f"{key}: {message}", self.path, key=key))

    def text(self, data: dict, key: str, where: str, *, required: bool = False, default: str | None = None,
             nonempty: bool = False, multiline: bool = False) -> str:
        """A text value, stripped.  A required one, or a ``nonempty`` one that is given, may not be
        empty; only a ``multiline`` one may hold line breaks."""
        default = self.defaults.get(key, "") if default is None else default
        value = data.get(key, None)
        if value is None:
            if required:
                self.fail(f"{where}{key}", "is required")
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail(f"{where}{key}", f"must be text, not {type(value).__name__}")
            return default
        text = written_text(value).strip()
        if not text and (required or nonempty):
            self.fail(f"{where}{key}", "must not be empty")
            return default
        if text and invisible(text) and (required or nonempty):
            self.fail(f"{where}{key}", f"must not be empty: it holds invisible characters only ({ascii(text)})")
            return default
        limit = MAX_TEXT_LINES if multiline else MAX_TEXT
        if len(text) > limit:
            self.fail(f"{where}{key}", f"is {len(text):,} characters long; at most {limit:,}")
            return default
        bad = bad_character(text, multiline=multiline)
        if bad:
            self.fail(f"{where}{key}", f"holds {bad}: {show(text)}")
            return default
        return text

    def number(self, data: dict, key: str, where: str, *, minimum, maximum=None, integer: bool = True):
        default = self.defaults[key]
        value = data.get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.fail(f"{where}{key}", f"must be a {'whole ' if integer else ''}number, not {show(value)}")
            return default
        written = getattr(value, "written", None)
        if (written is not None and _MISREAD_NUMBER_RE.fullmatch(written)
                and (":" in written or int(written.replace("_", ""), 10) != value)):  # 02 is 2 either way
            self.fail(f"{where}{key}", f"must be written in decimal digits, not {show(written)} (which YAML "
                                       f"reads as {value:,})")
            return default
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(f"{where}{key}", f"must be a finite number, not {show(value)}")
            return default
        if value < minimum:
            self.fail(f"{where}{key}", f"must be at least {minimum}, not {show(value)}")
            return default
        if maximum is not None and value > maximum:
            self.fail(f"{where}{key}", f"must be at most {maximum:,}, not {show(value)}")
            return default
        if not integer and isinstance(value, int) and value > sys.float_info.max:  # reckoned with as a float
            self.fail(f"{where}{key}", f"must be at most {sys.float_info.max:.3g} (a number of "
                                       f"{value.bit_length():,} bits is given)")
            return default
        return int(value) if isinstance(value, int) else float(value)  # a plain number, not the text it was

    def flag(self, data: dict, key: str, where: str) -> bool:
        default = self.defaults[key]
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}{key}", f"must be true or false, not {show(value)}")
            return default
        return value

    def unknown_keys(self, data: dict, allowed: set[str], where: str) -> None:
        for key in sorted(set(map(str, data)) - allowed):  # keys are the text written (_Loader)
            # a key as written when it is a plain word, else shortened and quoted (it may be huge
            # or hold a line break, and a message is one line)
            name = key if re.fullmatch(r"[\w.\-~]{1,60}", key, re.ASCII) else show(key)
            self.fail(f"{where}{name}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")


def bad_character(text: str, *, multiline: bool = False) -> str | None:
    """What a text holds that feeds (see ``digest.text.UNFIT``), pages (direction controls) or
    mail headers (line breaks, except where ``multiline`` allows a line feed) cannot carry, such
    as "the control character U+0001, which feeds and e-mail cannot carry"; None when there is none."""
    found = (_BREAK_OR_UNFIT if multiline else _LINE_BREAK_OR_UNFIT).search(text)
    if found is None:
        return None
    code = ord(found.group(0))
    if DIRECTION_CONTROLS.fullmatch(found.group(0)):
        return f"the direction control U+{code:04X}, which turns the text after it around on pages and in e-mails"
    if found.group(0) in "\n\r\u2028\u2029":
        what = f"a line break (U+{code:04X})"
    elif found.group(0) in "\ufffe\uffff":
        what = f"the noncharacter U+{code:04X}"
    else:
        what = f"the {'lone surrogate' if 0xD800 <= code <= 0xDFFF else 'control character'} U+{code:04X}"
    return f"{what}, which feeds and e-mail cannot carry"


_BREAK_OR_UNFIT = re.compile(f"\r|{UNFIT.pattern}|{DIRECTION_CONTROLS.pattern}")
#: Python's str.splitlines and the email package take U+2028 and U+2029 for line ends, too.
_LINE_BREAK_OR_UNFIT = re.compile(f"[\r\n\u2028\u2029]|{UNFIT.pattern}|{DIRECTION_CONTROLS.pattern}")


_HOST_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME_RE = re.compile(rf"(?:{_HOST_LABEL}\.)*{_HOST_LABEL}\.?")


def is_host_name(host: str) -> bool:
    """Whether an ASCII host name is made of the parts a host name is (``x..org``, ``-`` are not)."""
    return _HOST_NAME_RE.fullmatch(host.lower()) is not None


#: The longest unsubscribe URL: a mail header's line holds at most 998 characters (RFC 5322).
MAX_HEADER_URL = 900
#: The longest From, To or Reply-To: one with a quoted name is written on one line (see
#: digest.newsletter._header).
MAX_HEADER_ADDRESS = 900


def header_url(url: str) -> str:
    """A URL as a mail header carries it: ASCII, its host (or a mailto: address's domain) in the
    xn-- form, other characters percent-encoded as UTF-8."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    try:
        if parts.scheme.lower() == "mailto":
            local, at, domain = parts.path.rpartition("@")
            parts = parts._replace(path=f"{local}{at}{ascii_host(domain)}")
        else:
            userinfo, at, place = parts.netloc.rpartition("@")
            host, colon, port = place.partition(":")
            parts = parts._replace(netloc=f"{userinfo}{at}{ascii_host(host)}{colon}{port}")
    except ValueError:
        pass  # a host IDNA cannot write: percent-encoded with the rest
    return quote(urlunsplit(parts), safe="".join(map(chr, range(33, 127))))


def ascii_host(host: str) -> str:
    """An internationalised host name in its xn-- form, as browsers write it (UTS #46, not
    transitional: Python's "idna" codec, IDNA 2003, makes faß.example fass.example, another
    domain); a name IDNA 2008 refuses (symbols such as ☃) as IDNA 2003 writes it, as browsers do."""
    import idna

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{host} cannot be written as an ASCII host name") from None


def ascii_url(url: str) -> str:
    """An http(s) URL as a request carries it: its host in its xn-- form, the other characters
    beyond ASCII (of its path and query) percent-encoded as UTF-8; ValueError where the host
    cannot be written so.  (http.client sends only ASCII, and said only "'ascii' codec can't encode".)"""
    if url.isascii():
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc:
        raise ValueError("it names no host")
    if not netloc.isascii():
        if "[" in netloc:  # an IPv6 address whose zone is not ASCII
            raise ValueError(f"{parts.hostname} is no IPv6 address a request can carry")
        netloc = ascii_host(parts.hostname or "") + (f":{parts.port}" if parts.port is not None else "")
    # After "scheme://netloc", as written (urlsplit leaves out control characters before it).
    rest = url[url.find(parts.netloc) + len(parts.netloc):]
    return f"{parts.scheme}://{netloc}" + _BEYOND_ASCII.sub(lambda found: quote(found[0]), rest)


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]+")


def site_address(url: str) -> str:
    """The site's address as pages, feeds, sitemaps and e-mails carry it: an http(s) URL with
    an ASCII host name (an internationalised one in its xn-- form), its path percent-encoded
    (so that no quote or angle bracket of it reaches markup), its slashes single (so that no
    link made from it starts with "//", another host) and ending in "/".  ValueError says why
    ``url`` cannot be one (an empty message: not an http(s) URL at all)."""
    problem = url_problem(url)  # of an http(s) URL: also one without a host, or with a user name
    if problem:
        raise ValueError(problem)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("")
    if parts.query or parts.fragment:
        raise ValueError("no ? or # part")
    if re.search(r"\.html?$", parts.path, re.IGNORECASE):  # pages would go under .../index.html/
        raise ValueError("the address of the site's folder, not of a page in it")
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        # Browsers resolve them, and would ask for other addresses than the feeds and sitemap give.
        raise ValueError("no '.' or '..' folders in its path")
    host = parts.hostname
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host} is not an IPv6 address") from None
        host = f"[{host}]"
    else:
        if not host.isascii():
            host = ascii_host(host)
        if not is_host_name(host):
            raise ValueError(f"{host} is not a host name")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = quote(re.sub(r"/{2,}", "/", parts.path), safe="/%-._~!$&()*+,;=:@")
    path = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", path)
    return urlunsplit((parts.scheme, netloc, path.rstrip("/") + "/", "", ""))


#: A language tag (BCP 47, RFC 5646 section 2.1) of the parts a page's language has: a language
#: (with extended subtags), a script, a region, variants, each in its place and form ("en-GB-GB"
#: is none), or one of the grandfathered tags written like them.  Not extensions nor private use,
#: which the Nu checker takes only when registered, and whose subtags og:locale would take for a region.
_LANGUAGE_TAG = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*|(?i:en-GB-oed|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE)")

SITE_KEYS = {"title", "base_url", "description", "author", "author_email", "language",
             "feed_items", "topic_feed_items", "excerpt_chars", "topic_page_size", "fetch_url",
             "fetch_timeout", "email"}
EMAIL_KEYS = {"from", "to", "reply_to", "unsubscribe_url", "one_click_unsubscribe", "abstract_chars",
              "max_html_bytes", "smtp_host", "smtp_port", "smtp_security", "smtp_timeout"}


def parse_site_config(data: Any, path: Path) -> SiteConfig:
    check = _Checker(path, _field_defaults(SiteConfig))
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of settings (key: value)", path)
    check.unknown_keys(data, SITE_KEYS, "")
    # Feeds need a title and links; e-mail needs one-line header values.
    title = check.text(data, "title", "", required=True)
    base_url = check.text(data, "base_url", "", required=True)
    if base_url:
        try:
            base_url = site_address(base_url)
        except ValueError as error:
            check.fail("base_url", f"must be an absolute http(s) URL such as https://example.org/digest/"
                                   f"{f' ({error})' if str(error) else ''}, not {show_url(base_url)}")
    language = check.text(data, "language", "")
    if not _LANGUAGE_TAG.fullmatch(language):
        check.fail("language", f"must be a language tag such as 'en' or 'en-GB', not {show(language)}")
    email = check.text(data, "author_email", "")
    if email and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", email):
        check.fail("author_email", f"is not an e-mail address: {show(email)}")
    site = SiteConfig(
        title=title,
        base_url=base_url,
        description=check.text(data, "description", "", multiline=True),
        author=check.text(data, "author", ""),
        author_email=email,
        language=language,
        feed_items=check.number(data, "feed_items", "", minimum=1),
        topic_feed_items=check.number(data, "topic_feed_items", "", minimum=1),
        excerpt_chars=check.number(data, "excerpt_chars", "", minimum=40),
        topic_page_size=check.number(data, "topic_page_size", "", minimum=1),
        fetch_url=check.text(data, "fetch_url", ""),
        fetch_timeout=check.number(data, "fetch_timeout", "", minimum=MIN_TIMEOUT, maximum=MAX_TIMEOUT, integer=False),
    )
    problem = url_problem(site.fetch_url)
    if not problem:
        try:
            ascii_url(site.fetch_url)
        except ValueError as error:
            problem = str(error)
    if problem or not re.match(r"^https?://[^\s]+$", site.fetch_url):
        check.fail("fetch_url", f"must be an http(s) URL{f' ({problem})' if problem else ''}, "
                                f"not {show_url(site.fetch_url)}")
    if check.errors:
        raise ConfigErrors(check.errors)
    return site


def mail_domain(base_url: str) -> str:
    """The domain of the default sender and of Message-IDs: the site's host name, or ``localhost``
    for an IP address (an IPv6 one would end the Message-ID early at its first colon)."""
    # "example.org." names example.org; a mail address's domain has no final dot.
    host = (urlsplit(base_url).hostname or "localhost").rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return "localhost"


def _address_header(value: str):
    """``value`` as the email package reads a To header, or None where it cannot."""
    try:
        return policy.SMTP.header_factory("To", value)
    except Exception:  # noqa: BLE001 - the header parser fails with IndexError and others on odd text
        return None


def is_one_address(value: str) -> bool:
    """Whether ``value`` is one e-mail address, ``user@host`` or ``Name <user@host>``, as the
    email package reads it (a name with a comma in it, unquoted, makes two)."""
    header = _address_header(value)
    return header is not None and not header.defects and len(header.addresses) == 1 and all(
        address.username and address.domain for address in header.addresses)


def is_group(value: str) -> bool:
    """Whether ``value`` is written as a group ("Team: a@b;"), which To and Reply-To may hold and
    From may not (RFC 5322, 3.6.2)."""
    header = _address_header(value)
    return header is not None and any(group.display_name is not None for group in header.groups)


def is_empty_group(value: str) -> bool:
    """Whether ``value`` is a group of no address ("undisclosed-recipients:;"), the To of a
    message whose recipients are not shown to each other (RFC 5322, 3.6.3)."""
    header = _address_header(value)
    return (header is not None and not header.defects and len(header.groups) == 1
            and header.groups[0].display_name is not None and not header.groups[0].addresses)


def header_address(value: str) -> tuple[str, str | None]:
    """One e-mail address (see is_one_address) as a mail header carries it: an internationalised
    domain in its xn-- form (the email package would write it as an encoded word, which no
    address may hold, and SMTP carries the xn-- form); or why it cannot be carried."""
    try:
        header = policy.SMTP.header_factory("To", value)
        [group] = header.groups
        [address] = group.addresses
    except Exception:  # noqa: BLE001 - no address, or several: is_one_address says so
        return value, None
    if not address.username.isascii():
        return value, "has characters other than ASCII before the @, which SMTP here cannot carry"
    if address.domain.isascii():
        return value, None
    try:
        domain = ascii_host(address.domain)
    except ValueError as error:
        return value, f"has a domain that is no host name ({error})"
    written = Address(address.display_name, address.username, domain)
    return str(Group(group.display_name, [written]) if group.display_name is not None else written), None


def _comma_parts(value: str) -> list[str]:
    """``value`` split at its commas outside quotes, angle brackets and comments, as e-mail
    address lists are: each part should be one address."""
    parts, start, quoted, depth, escaped = [], 0, False, 0, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in "<(":
            depth += 1
        elif not quoted and char in ">)":
            depth = max(0, depth - 1)
        elif char == "," and not quoted and depth == 0:
            parts.append(value[start:index])
            start = index + 1
    return [*parts, value[start:]]


def recipients_of(addresses: Sequence[str]) -> list[str]:
    """Bare addresses from ``Name <a@b>`` or ``a@b`` forms; raises on anything else, on a line
    break or other control character anywhere (``a@b\r\nBcc: c@d`` is no list of addresses),
    and when there is none at all."""
    parsed: list[tuple[str, str]] = []  # (as given, the address read from it)
    for value in addresses:
        if not value.strip() or not value.isprintable():
            raise DigestError(f"not an e-mail address: {value!r}")
        # "a@b, c@d" is two; "<a@b>c@d" reads as two as well, without a comma to say so.  Nothing
        # between two commas, or after the last ("a@b, c@d,"), is no address, and no mistake.
        for part in (part.strip() for part in _comma_parts(value) if part.strip()):
            read = getaddresses([part])
            if len(read) != 1:
                raise DigestError(f"not one e-mail address: {value!r}; give each address after --to, or "
                                  f"separate them with commas")
            parsed.append((part, read[0][1]))
    found: dict[tuple[str, str], str] = {}  # an address given twice is sent to once
    for part, address in parsed:
        if not address or "@" not in address or any(c.isspace() for c in address):  # "a@" reads as no address
            raise DigestError(f"not an e-mail address: {address or part!r}")
        local, _, domain = address.rpartition("@")
        if not local.isascii():
            raise DigestError(f"cannot send to {address}: SMTP here carries only ASCII before the @")
        if not domain.isascii():  # an internationalised domain, in the xn-- form SMTP carries
            try:
                domain = ascii_host(domain)
            except ValueError as error:
                raise DigestError(f"not an e-mail address: {address!r} ({error})") from None
            address = f"{local}@{domain}"
        if not local or not (_address_literal(domain) or is_host_name(domain)):
            raise DigestError(f"not an e-mail address: {address!r}")
        if domain.endswith("."):  # the same domain (a mail address's has no final dot), as servers take it
            domain = domain.rstrip(".")
            address = f"{local}@{domain}"
        found.setdefault((local, domain.lower()), address)  # a domain is the same in any case
    if not found:
        raise DigestError("no recipient: give one with --to")
    return list(found.values())


def _address_literal(domain: str) -> bool:
    """Whether ``domain`` is an address literal, ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` (RFC 5321, 4.1.3)."""
    if not (domain.startswith("[") and domain.endswith("]")):
        return False
    inner = domain[1:-1]
    try:
        if inner[:5].lower() == "ipv6:":
            return ipaddress.IPv6Address(inner[5:]).scope_id is None  # no zone (fe80::1%eth0): no mail address's
        ipaddress.IPv4Address(inner)
    except ValueError:
        return False
    return True


def envelope_sender(sender: str) -> str:
    """The address SMTP sends from: ``sender``'s, its display name aside (a name may hold what no
    address does: a no-break space, a tab); DigestError where it is none SMTP carries."""
    return recipients_of([parseaddr(sender)[1] or sender])[0]


def _no_sender(sender: str) -> str | None:
    """Why ``sender`` cannot be the envelope sender ``digest send`` gives, or None."""
    try:
        envelope_sender(sender)
    except DigestError as error:
        return error.message
    return None


def parse_email_config(data: Any, site: SiteConfig, path: Path) -> EmailConfig:
    """The ``email:`` section of site.yaml; defaults derive from the site's title and host."""
    check = _Checker(path, _field_defaults(EmailConfig))
    raw = data.get("email") if isinstance(data, dict) else None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("email: must be a mapping of settings", path, key="email")
    check.unknown_keys(raw, EMAIL_KEYS, "email.")
    # A name holding "=?" is read by mail programs as an encoded word (RFC 2047), and the email
    # package writes it back decoded: the default sender leaves such a title out.
    name = "" if "=?" in site.title else site.title
    default_address = f"digest@{mail_domain(site.base_url)}"
    default_sender = str(Address(name, addr_spec=default_address))
    if len(default_sender) > MAX_HEADER_ADDRESS:  # a title of a thousand characters: the address alone
        default_sender = default_address
    sender = check.text(raw, "from", "email.", nonempty=True, default=default_sender)
    problems = len(check.errors)
    to = check.text(raw, "to", "email.", default=sender, nonempty=True)
    to_told = len(check.errors) > problems  # the default stands in, and is from's: not told again as to's
    reply_to = check.text(raw, "reply_to", "email.")
    addresses = {"from": sender, "reply_to": reply_to, **({"to": to} if "to" in raw and not to_told else {})}
    for key, value in addresses.items():
        if not value:
            continue
        written, problem = (value, None) if value.isascii() else header_address(value)
        if "=?" in value:
            check.fail(f"email.{key}", f"holds '=?', which mail programs read as the start of an encoded word "
                                       f"(RFC 2047); write the name as plain text: {show(value)}")
        elif len(value) > MAX_HEADER_ADDRESS:
            check.fail(f"email.{key}", f"is {len(value):,} characters long; at most {MAX_HEADER_ADDRESS} fit on the "
                                       f"line of its mail header")
        elif problem:
            check.fail(f"email.{key}", f"{problem}: {show(value)}")
        elif not is_one_address(written) and not (key == "to" and is_empty_group(written)):
            forms = {"to": "user@host, Name <user@host>, a group, 'Readers: user@host;', or a group of none, "
                           "'undisclosed-recipients:;'",
                     "reply_to": "user@host, Name <user@host> or a group, 'Readers: user@host;'"}
            check.fail(f"email.{key}", f"is not one e-mail address ({forms.get(key, 'user@host or Name <user@host>')}; "
                                       f"quote a name with a comma, @ or <): {show(value)}")
        elif key == "from" and is_group(value):
            check.fail("email.from", f"is a group of addresses (Name: user@host;), which From cannot hold; quote a "
                                     f"name with a colon: {show(value)}")
        elif key == "from" and (problem := _no_sender(written)):  # the address SMTP sends from, too
            check.fail("email.from", f"is no address to send from: {problem} (give user@host or Name <user@host>, "
                                     f"without quotes around the user)")
        else:
            addresses[key] = written
    sender, reply_to = addresses["from"], addresses["reply_to"]
    to = addresses.get("to", sender)
    unsubscribe = check.text(raw, "unsubscribe_url", "email.")
    # It goes into List-Unsubscribe as <url>: no bracket, quote or space may end it early.
    if unsubscribe and (problem := url_problem(unsubscribe)):
        check.fail("email.unsubscribe_url", f"must be an https:// or mailto: link ({problem}), "
                                            f"not {show_url(unsubscribe)}")
    elif unsubscribe and not re.match(r"^(https://[^\s<>\"'\\]+|mailto:[^\s<>\"'\\]+@[^\s<>\"'\\]+)$", unsubscribe):
        check.fail("email.unsubscribe_url", f"must be an https:// or mailto: link without spaces, quotes or "
                                            f"angle brackets, not {show_url(unsubscribe)}")
    elif unsubscribe and len(written := header_url(unsubscribe)) > MAX_HEADER_URL:
        check.fail("email.unsubscribe_url", f"is {len(written):,} characters long as a mail "
                                            f"header writes it; at most {MAX_HEADER_URL} fit on its line")
    one_click = check.flag(raw, "one_click_unsubscribe", "email.")
    if one_click and not unsubscribe.startswith("https://"):
        check.fail("email.one_click_unsubscribe", "needs an https:// unsubscribe_url, which the mail provider "
                                                  "sends a POST to (RFC 8058)")
    security = check.text(raw, "smtp_security", "email.").lower()
    if security not in ("starttls", "ssl", "none"):
        check.fail("email.smtp_security", f"must be starttls, ssl or none, not {show(security)}")
    config = EmailConfig(
        sender=sender, to=to, reply_to=reply_to, unsubscribe_url=unsubscribe, one_click_unsubscribe=one_click,
        abstract_chars=check.number(raw, "abstract_chars", "email.", minimum=40),
        max_html_bytes=check.number(raw, "max_html_bytes", "email.", minimum=10_000),
        smtp_host=unbracketed(check.text(raw, "smtp_host", "email.", nonempty=True)),
        smtp_port=check.number(raw, "smtp_port", "email.", minimum=1),
        smtp_security=security,
        smtp_timeout=check.number(raw, "smtp_timeout", "email.", minimum=MIN_TIMEOUT, maximum=MAX_TIMEOUT,
                                  integer=False),
    )
    if config.smtp_port > 65535:
        check.fail("email.smtp_port", f"must be at most 65535, not {show(config.smtp_port)}")
    host_problem = _host_problem(config.smtp_host)
    if host_problem:
        check.fail("email.smtp_host", f"is not a host name ({host_problem}): {show(config.smtp_host)}")
    if check.errors:
        raise ConfigErrors(check.errors)
    return config


def _host_problem(host: str) -> str | None:
    """Why a host name or address cannot be looked up, or None: the resolver takes names of at
    most 253 characters, in labels of 1 to 63 (after IDNA encoding, which may itself fail)."""
    if any(c.isspace() or c in "/?#@[]" for c in host):
        return "it holds a space, /, ?, #, @ or bracket"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "it holds a ':' but is no IPv6 address; give a port as email.smtp_port"
        return None
    try:
        encoded = host.encode("idna")  # fails on a part too long or empty, among others
    except UnicodeError:
        encoded = b""
    labels = encoded.rstrip(b".").split(b".")
    if not encoded or len(encoded) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        return "a host name is parts of 1 to 63 characters between dots, at most 253 in all"
    return None


#: Topic slugs name folders and files; a file name may be 255 bytes at most.
MAX_SLUG = 100

#: Topics a site may have.  Every page that lists a paper lists its topics, so a site of papers
#: each in a thousand topics took a minute for a handful of papers; real sites have a few dozen.
MAX_TOPICS = 200
#: The most rules all topics may have together: each is compiled when the file is read and tried
#: on every paper (a list of rules given once and reused by every topic with a YAML alias counts
#: for each topic).
MAX_RULES = 5000
TOPIC_KEYS = {"slug", "title", "description", "rules", "min_score"}
RULE_KEYS = {"phrase", "regex", "weight"}


#: What parts a phrase's words, in the phrase and in the text: spaces and hyphens, also the
#: Unicode hyphens (U+2010, and U+2011, which does not break) that typeset titles carry.
WORD_GAP = r"[\s\-\u2010\u2011]+"


def _split_phrase(phrase: str) -> list[str]:
    """A phrase's words, as written: spaces and hyphens separate them."""
    return [word for word in re.split(WORD_GAP, phrase.strip()) if word]


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for a phrase.

    Words may be separated by spaces or hyphens, and the last word may take a
    plural ending, so "mixture of experts" also finds "Mixture-of-Experts",
    "fine-tuning" finds "fine tuning", and "kernel" finds "kernels".
    """
    words = [re.escape(word) for word in _split_phrase(phrase)]
    body = WORD_GAP.join(words)
    return re.compile(rf"(?<![\w]){body}(?:e?s)?(?![\w])", re.IGNORECASE)


def ascii_phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """``phrase_pattern(phrase)`` for lowercased ASCII text, several times faster; None when
    the phrase has a word that is not ASCII.

    In ASCII text, ignoring case is searching the lowercased text for the lowercased words,
    and a word character is ``[0-9a-z_]``.  The phrase's first word comes first so that the
    regex engine can scan for it, and the check that no word character precedes it is a
    lookbehind over the word, not before it.  Topic matching is most of reading a large
    archive for the first time; abstracts are nearly always ASCII."""
    words = [word.lower() for word in _split_phrase(phrase)]
    if not words or not all(word.isascii() for word in words):
        return None
    rest = "".join(r"[\s\-]+" + re.escape(word) for word in words[1:])
    return re.compile(rf"{re.escape(words[0])}(?<![0-9a-z_][\s\S]{{{len(words[0])}}}){rest}(?:e?s)?(?![0-9a-z_])")


def phrase_words(phrase: str) -> frozenset[bytes] | None:
    """Words (``[0-9a-z_]+`` runs) of lowercased ASCII text, one of which every match of
    ``ascii_phrase_pattern(phrase)`` holds whole: the phrase's longest word, with the plural
    endings when that is its last.  None when a word has other characters.

    The pattern matches whole words only, with nothing but spaces and hyphens between them, so
    text without one of these words cannot match, and one set operation tells."""
    words = [word.lower() for word in _split_phrase(phrase)]
    if not words or not all(re.fullmatch(r"[0-9a-z_]+", word) for word in words):
        return None
    longest = max(words, key=len)
    forms = (longest, f"{longest}s", f"{longest}es") if longest == words[-1] else (longest,)
    return frozenset(form.encode("ascii") for form in forms)


def ascii_regex(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` compiled to take only ASCII for word, digit and space characters, when it is
    ASCII itself (else a character such as "ſ" would stop matching its ASCII twin "s")."""
    if not pattern.isascii():
        return None
    try:
        return re.compile(pattern, re.IGNORECASE | re.ASCII)
    except (re.error, ValueError):  # (?u) in the pattern
        return None


def regex_needle(pattern: str) -> str:
    """Lowercase text that every match of a regex rule holds, to skip its search cheaply (as a
    phrase's longest word does); "" when there is none.

    It is the longest run of plain letters and digits at the top level of the pattern (not in a
    group, class, repeat or alternation), lowercased.  The letters i and s end a run: ignoring
    case, the regex also takes "ı", "İ" and "ſ" for them, which lowercased text does not show as
    i or s.  Read from the regex engine's own parse of the pattern; without it, there is no needle."""
    try:
        from re import _parser as parser  # the engine's parser, where it is (CPython 3.11 and later)

        parsed = parser.parse(pattern, re.IGNORECASE)
    except Exception:  # noqa: BLE001 - an internal module: any trouble only costs speed
        return ""
    best, run = "", ""
    for op, value in parsed:
        char = chr(value) if op is parser.LITERAL and value < 128 else ""
        if char.isalnum() and char.lower() not in "is":
            run += char.lower()
        else:
            best, run = max(best, run, key=len), ""
    return max(best, run, key=len)


#: How many ways a repeat may split text among the repeats inside it before the regex counts
#: as able to backtrack without end: ``(\d{1,3}\.){3}`` has 27; ``(\w+\s?)+`` has no bound.
_MAX_NESTED_WAYS = 1000


class _NestedRepeat(Exception):
    pass


def nested_repetition(pattern: str) -> bool:
    r"""Whether a regex repeats something that itself holds a repeat of variable length, like
    ``(a+)+``, ``(\w+\s?)*`` or ``(?:x*)+``: on text that almost matches, Python's engine tries
    every way of splitting the text among the repeats, which takes exponential time, and it has
    no timeout.  Small bounded repeats such as ``(\d{1,3}\.){3}`` are allowed.  Read from the
    regex engine's own parse of the pattern, like ``regex_needle``; without it, False."""
    try:
        from re import _parser as parser  # the engine's parser, where it is (CPython 3.11 and later)

        parsed = parser.parse(pattern, re.IGNORECASE)
        repeats = (parser.MAX_REPEAT, parser.MIN_REPEAT)
        # Lookarounds, atomic groups and possessive repeats are never backtracked into, so they
        # add no ways to split the text; their insides are still checked.
        closed = (parser.ASSERT, parser.ASSERT_NOT, parser.ATOMIC_GROUP, parser.POSSESSIVE_REPEAT)
    except Exception:  # noqa: BLE001 - an internal module: without it, no check
        return False

    def ways(items) -> int:
        """Roughly how many ways the items can split a text among their repeats (capped)."""
        total = 1
        for op, value in items:
            if op in repeats:
                low, high, body = value
                inner = ways(body)
                if high > 1 and inner > 1:
                    count = 1
                    for _ in range(min(high, 64)):  # inner ** high, stopping past the limit
                        count *= inner
                        if count > _MAX_NESTED_WAYS:
                            raise _NestedRepeat
                    inner = count
                here = inner * (high - low + 1 if high > 1 else 1)
            elif op is parser.SUBPATTERN:
                here = ways(value[-1])
            elif op is parser.BRANCH:
                here = max(ways(branch) for branch in value[1])
            elif op is parser.GROUPREF_EXISTS:
                here = max(ways(value[1]), ways(value[2]) if value[2] else 1)
            elif op in closed:
                ways(value[-1])
                here = 1
            else:
                here = 1
            total = min(total * here, parser.MAXREPEAT)
        return total

    try:
        ways(parsed)
    except _NestedRepeat:
        return True
    except Exception:  # noqa: BLE001 - as above: an unexpected parse only skips the check
        return False
    return False


def parse_topics_config(data: Any, path: Path) -> tuple[TopicConfig, ...]:
    check = _Checker(path, {**_field_defaults(TopicRule), **_field_defaults(TopicConfig)})
    if isinstance(data, dict) and "topics" in data:
        others = sorted((key for key in data if key != "topics"), key=str)
        if others:
            raise ConfigError(f"{show(others[0])}: unknown key (the file holds one, 'topics:', with its list)", path,
                              key=others[0] if isinstance(others[0], str) else None)
        data = data["topics"]
    if not isinstance(data, list):
        raise ConfigError("must hold a list 'topics:' of topics", path)
    if len(data) > MAX_TOPICS:
        raise ConfigError(f"topics: {len(data):,} topics; at most {MAX_TOPICS}", path, key="topics")
    rules_in_all = sum(len(item["rules"]) for item in data
                       if isinstance(item, dict) and isinstance(item.get("rules"), list))
    if rules_in_all > MAX_RULES:
        raise ConfigError(f"topics: {rules_in_all:,} rules in all; at most {MAX_RULES:,}", path, key="topics")
    topics: list[TopicConfig] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        where = f"topics[{i}]."
        if not isinstance(item, dict):
            check.fail(f"topics[{i}]", "must be a mapping with slug, title and rules")
            continue
        check.unknown_keys(item, TOPIC_KEYS, where)
        slug = check.text(item, "slug", where, required=True)
        if slug and not SLUG_RE.match(slug):
            check.fail(f"{where}slug", f"{show(slug)} is not a slug (lowercase letters, digits and single hyphens)")
        elif len(slug) > MAX_SLUG:
            check.fail(f"{where}slug", f"is {len(slug)} characters long; at most {MAX_SLUG}")
        elif slug == OTHER_TOPIC:
            check.fail(f"{where}slug", f"'{OTHER_TOPIC}' is reserved for papers that match no topic")
        elif slug in seen:
            check.fail(f"{where}slug", f"{show(slug)} is used by an earlier topic")
        if slug:  # a slug that is missing or no text is told as such, not as one used twice
            seen.add(slug)
        title = check.text(item, "title", where, required=True)
        rules = _parse_rules(item.get("rules"), f"{where}rules", check)
        topics.append(TopicConfig(
            slug=slug, title=title, description=check.text(item, "description", where, multiline=True),
            rules=rules, min_score=check.number(item, "min_score", where, minimum=0, integer=False),
        ))
    if check.errors:
        raise ConfigErrors(check.errors)
    return tuple(topics)


#: Texts a regex rule is tried on when read: one that finds nothing (empty text) in any is refused.
_EMPTY_MATCH_SAMPLES = ("", "a", "A model. 1", "x-y z_9")


def _parse_rules(raw: Any, where: str, check: _Checker) -> tuple[TopicRule, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail(where, "must be a non-empty list of phrases or {phrase|regex, weight}")
        return ()
    rules: list[TopicRule] = []
    for j, rule in enumerate(raw):
        key = f"{where}[{j}]"
        if isinstance(rule, (str, int, float)) and not isinstance(rule, bool):  # "- 2048" is a phrase too
            rule = {"phrase": rule}
        if not isinstance(rule, dict):
            check.fail(key, "must be a phrase or a mapping with 'phrase' or 'regex'")
            continue
        check.unknown_keys(rule, RULE_KEYS, f"{key}.")
        weight = check.number(rule, "weight", f"{key}.", minimum=0, integer=False)
        phrase, regex = rule.get("phrase"), rule.get("regex")
        if (phrase is None) == (regex is None):
            check.fail(key, "needs exactly one of 'phrase' or 'regex'")
            continue
        text = check.text(rule, "phrase" if phrase is not None else "regex", f"{key}.", required=True)
        if not text:
            continue  # check.text said what is wrong with it
        if phrase is not None:
            if not re.sub(WORD_GAP, "", text):  # only hyphens: a pattern that matches everywhere
                check.fail(f"{key}.phrase", f"has no words: {show(text)}")
                continue
            needle = max(_split_phrase(text), key=len).lower()
            # A word beyond ASCII may match ASCII text all the same, ignoring case ("İstanbul"
            # finds "istanbul", though "İ" lowercased is two characters): no needle to look for.
            needle = needle if needle.isascii() else ""
            rules.append(TopicRule(text, phrase_pattern(text), weight, needle, ascii_phrase_pattern(text),
                                  phrase_words(text)))
            continue
        try:
            pattern = re.compile(text, re.IGNORECASE)
        except re.error as error:
            check.fail(f"{key}.regex", f"invalid regular expression: {error}")
            continue
        except (OverflowError, RecursionError, ValueError) as error:  # a{99999999999}, 1000 nested groups
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error).splitlines()[0][:200]
            check.fail(f"{key}.regex", f"invalid regular expression: {reason}")
            continue
        if nested_repetition(text):
            check.fail(f"{key}.regex", "repeats a repeat, as in (a+)+: nested repetition can take exponential "
                                       "time; simplify the pattern")
            continue
        empty = next((sample for sample in _EMPTY_MATCH_SAMPLES
                      if (found := pattern.search(sample)) is not None and not found.group(0)), None)
        if empty is not None:
            check.fail(f"{key}.regex", f"matches empty text (in {show(empty)}), so it would put every paper "
                                       f"in the topic; make it match at least one character")
            continue
        rules.append(TopicRule(f"/{text}/", pattern, weight, regex_needle(text), ascii_regex=ascii_regex(text)))
    return tuple(rules)


def setting_lines(path: Path) -> dict[str, int]:
    """The line of each setting in a YAML file, by its key as messages write it (``email.from``,
    ``topics[7].rules[2]``): a mapping's key at the key's line, a list's item at its own.  Read
    again only to tell where a value is wrong; a file that no longer reads gives none."""
    try:
        root = yaml.compose(read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8"), Loader=_Loader)
    except (OSError, ValueError, yaml.YAMLError, RecursionError):
        return {}
    lines: dict[str, int] = {}
    # topics.yaml may be a bare list of topics, which messages call topics[N] all the same
    stack = [(root, "topics" if isinstance(root, yaml.SequenceNode) else "")]
    seen: set[int] = set()  # an alias repeats a node, or even holds its own anchor's: each is walked once
    while stack:
        node, where = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            children = [(f"{where}.{key.value}" if where else key.value, key, value)
                        for key, value in node.value if isinstance(key, yaml.ScalarNode)]
        elif isinstance(node, yaml.SequenceNode):
            children = [(f"{where}[{i}]", item, item) for i, item in enumerate(node.value)]
        else:
            continue
        for name, marked, value in children:
            lines.setdefault(name, marked.start_mark.line + 1)
            stack.append((value, name))
    return lines


def add_setting_lines(errors: list[ConfigError], path: Path) -> None:
    """Give the errors about settings of this file the line of their setting, or where a setting
    is missing, of the nearest mapping or list item around it that is written."""
    if not any(error.key for error in errors):
        return
    lines = setting_lines(path)
    for error in errors:
        key = error.key
        while key and error.line is None:
            error.line = lines.get(key)
            key = re.sub(r"(?:\.[^.\[]*|\[\d+\])$", "", key) if re.search(r"[.\]]", key) else ""


def _read_config(content_dir: Path) -> tuple[SiteConfig | None, tuple[TopicConfig, ...] | None,
                                              EmailConfig | None, list[ConfigError]]:
    """The settings of ``site.yaml`` and ``topics.yaml`` and every problem of them; a part with
    problems is None."""
    errors: list[ConfigError] = []
    site = topics = email = None
    for name in ("site.yaml", "topics.yaml"):
        path = content_dir / name
        try:
            data = load_yaml(path)
            if name == "site.yaml":
                try:
                    site = parse_site_config(data, path)
                except ConfigError as error:
                    # The e-mail settings are checked too, so that all problems are told at once; their
                    # defaults (From: the title, at the site's host) are not needed for that.
                    errors.extend(error.errors if isinstance(error, ConfigErrors) else [error])
                    if isinstance(data, dict):
                        parse_email_config(data, SiteConfig("digest", "http://localhost/"), path)
                    continue
                email = parse_email_config(data, site, path)
            else:
                topics = parse_topics_config(data, path)
        except ConfigErrors as many:
            errors.extend(many.errors)
        except ConfigError as one:
            errors.append(one)
    for name in ("site.yaml", "topics.yaml"):
        add_setting_lines([error for error in errors if error.path == str(content_dir / name)], content_dir / name)
    # Each file's in the order of its lines (one without a line, a missing setting, first).
    errors.sort(key=lambda error: (error.path != str(content_dir / "site.yaml"), error.line or 0))
    return site, topics, email, errors


def load_config(content_dir: Path) -> Config:
    """Read ``site.yaml`` and ``topics.yaml`` from a content folder; report all problems at once."""
    site, topics, email, errors = _read_config(content_dir)
    if errors:
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    assert site is not None and topics is not None and email is not None
    return Config(site=site, topics=topics, email=email)


def config_or_stand_ins(content_dir: Path) -> tuple[Config, list[ConfigError]]:
    """The configuration and every problem of it, where settings have problems with stand-ins:
    a site "digest" at http://localhost/ with the default settings, no topics.  For ``digest
    check``, which goes on to render with them for the problems of templates and pages."""
    site, topics, email, errors = _read_config(content_dir)
    if site is None:
        site = parse_site_config({"title": "digest", "base_url": "http://localhost/"}, content_dir / "site.yaml")
    if email is None:
        email = parse_email_config({}, site, content_dir / "site.yaml")
    return Config(site=site, topics=topics if topics is not None else (), email=email), errors
