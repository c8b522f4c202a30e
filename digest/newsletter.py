"""The daily e-mail: HTML and plain-text bodies, the .eml message, and sending it by SMTP.

The HTML is a single 600 px column built from tables, with every style
inlined on its element by css-inline; only media queries (narrow screens,
dark mode) stay in a ``<style>`` block.  Links are absolute.  The message is
``multipart/alternative`` (text, then HTML) and byte-identical across builds:
its Date is the list day, its Message-ID and MIME boundary derive from the
content.  Sent before the list day's noon (UTC), it is dated when it is sent.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import os
import re
import signal
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parsedate_to_datetime

import css_inline
from jinja2 import Environment

from digest import urls
from digest.config import Config, EmailConfig, envelope_sender, header_url, mail_domain
from digest.deadline import Overrun, time_limit
from digest.errors import DigestError, PartlySent
from digest.feeds import feed_time
from digest.pages import DayPage
from digest.render import render_template

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True, slots=True)
class Newsletter:
    """One day's e-mail in every form."""

    date: dt.date
    subject: str
    html: str
    text: str
    message: bytes  #: the .eml file

    def files(self) -> dict[str, bytes]:
        """Site-relative paths of the exported files."""
        html, text, eml = newsletter_paths(self.date)
        return {html: self.html.encode("utf-8"), text: self.text.encode("utf-8"), eml: self.message}


def newsletter_paths(date: dt.date) -> tuple[str, str, str]:
    """Where a day's e-mail goes in the site: its .html, .txt and .eml."""
    stem = f"email/{date.isoformat()}"
    return f"{stem}.html", f"{stem}.txt", f"{stem}.eml"


def newsletter_context(day: DayPage, config: Config, shown: int | None = None) -> dict:
    """What the e-mail templates get: the day, and ``items``, the first ``shown`` of its papers
    (all by default), with ``more`` the number of the others and ``more_url`` where the first of
    them is on the day's page."""
    site, mail = config.site, config.email
    items = day.items if shown is None else day.items[:shown]
    more = len(day.items) - len(items)
    return {
        "day": day,
        "items": items,
        "more": more,
        "more_url": f"{site.url(urls.date_path(day.date))}#paper-{day.items[len(items)].slug}" if more else None,
        "subject": day.headline,
        "site": {"title": site.title, "description": site.description, "language": site.language},
        "url": site.url,
        "abstract_chars": mail.abstract_chars,
        # As List-Unsubscribe has it: plain text cannot mark where a URL with other characters ends.
        "unsubscribe_url": header_url(mail.unsubscribe_url) if mail.unsubscribe_url else None,
        "preheader": _preheader(day),
        "feeds": [("RSS", site.url(urls.RSS)), ("Atom", site.url(urls.ATOM))],
    }


def _preheader(day: DayPage) -> str:
    """The line mail clients show after the subject."""
    top = day.items[0].title if day.items else ""
    return f"{day.summary}. Top paper: {top}" if top else day.summary


def render_newsletter(day: DayPage, config: Config, env: Environment) -> Newsletter:
    """The e-mail of one list day.  Its HTML must stay within email.max_html_bytes (Gmail clips
    longer messages): on a day of more papers than fit, it lists the top ones and says how many
    more are on the web.  Raises DigestError if not even one paper fits."""
    limit = config.email.max_html_bytes
    shown = len(day.items)
    while True:
        context = newsletter_context(day, config, shown)
        html = _INLINER.inline(render_template(env, "email.html", context)).rstrip("\n") + "\n"
        size = len(html.encode("utf-8")) + html.count("\n")  # as the e-mail carries it: CRLF line ends
        if size <= limit:
            break
        if shown <= 1:
            raise DigestError(
                f"the e-mail for {day.date.isoformat()} is {size:,} bytes of HTML with one paper, over the limit "
                f"of {limit:,} (email.max_html_bytes in site.yaml); raise it or lower email.abstract_chars")
        # Papers take about the same room each: guess how many fit, then step down to the first that does.
        shown = max(1, min(shown - 1, shown * limit // size))
    text = render_template(env, "email.txt", context)
    message = build_message(day.date, context["subject"], text, html, config)
    return Newsletter(day.date, context["subject"], html, text, message)


def build_message(date: dt.date, subject: str, text: str, html: str, config: Config) -> bytes:
    """A multipart/alternative message (text first, then HTML), reproducible byte for byte."""
    mail = config.email
    digest_of_content = hashlib.sha256((subject + text + html).encode("utf-8")).hexdigest()
    host = mail_domain(config.site.base_url)
    # The email package writes the headers (encoded words, folding); the two quoted-printable
    # parts are joined here, with binascii's encoder: the package's own, in pure Python, took
    # most of a day's e-mail.  "=" is always encoded in quoted-printable, so no body can hold
    # a boundary that starts with "=_".
    boundary = f"=_digest_{digest_of_content[16:40]}"
    headers = [("Subject", subject), ("From", mail.sender), ("To", mail.to)]
    if mail.reply_to:
        headers.append(("Reply-To", mail.reply_to))
    headers += [("Date", format_datetime(feed_time(date))),
                ("Message-ID", f"<digest.{date.isoformat()}.{digest_of_content[:16]}@{host}>")]
    headers.append(("MIME-Version", "1.0"))
    head = b"".join(_header(name, value) for name, value in headers)
    if mail.unsubscribe_url:
        # Written as it is: the email package takes it for text and writes a long URL as encoded
        # words, where mail clients look for "<URL>" (RFC 2369) and find no unsubscribe link.
        head += f"List-Unsubscribe: <{header_url(mail.unsubscribe_url)}>\r\n".encode("ascii")
        if mail.one_click_unsubscribe:
            head += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    head += _header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
    delimiter = f"--{boundary}\r\n".encode("ascii")
    parts = [delimiter + _quoted_printable_part(subtype, body) for subtype, body in (("plain", text), ("html", html))]
    return head + b"\r\n" + b"\r\n".join([*parts, f"--{boundary}--\r\n".encode("ascii")])


#: Header lines as long as RFC 5322 allows (998 characters): where folding at 78 would change a header.
_UNFOLDED = policy.SMTP.clone(max_line_length=998)
_ADDRESS_HEADERS = frozenset({"From", "To", "Reply-To"})


@lru_cache(maxsize=256)  # From, To and the rest are the same in every e-mail of a site
def _header(name: str, value: str) -> bytes:
    """One header line as the email package writes it: parsed, encoded and folded by its SMTP policy.
    An address header is kept on one line where folding it would change its addresses: Python
    3.11 drops the quotes of a display name it folds, and the comma in "Papers, daily" then parts
    two addresses."""
    folded = _folded_header(name, value, policy.SMTP)
    if name in _ADDRESS_HEADERS:
        whole = _folded_header(name, value, _UNFOLDED)
        # Over one line of 998 characters, a name of encoded-words is folded even so, and read
        # as mail clients read it (Python's parser reads a space between two of them).
        wanted = _addresses_read(name, whole, rfc2047=b"=?" in whole)
        if _addresses_read(name, folded) != wanted:
            # A display name that is not ASCII goes as encoded-words of at most 75 characters each
            # (RFC 2047), on lines of at most 78 (RFC 5322); one ASCII name stays on its line.
            encoded = _encoded_address(name, value)
            return encoded if encoded is not None and _addresses_read(name, encoded, rfc2047=True) == wanted else whole
    return folded


def _addresses_read(name: str, header: bytes, *, rfc2047: bool = False) -> list[tuple[str, str]]:
    """The (display name, address) pairs a mail client reads in a header line, spaces run
    together.  Python's parser reads a space between two encoded-words of a display name, which
    is no part of it (RFC 2047, 6.2): with ``rfc2047``, the name of one address is decoded as
    mail clients decode it."""
    addresses = message_from_bytes(header + b"\r\n", policy=policy.default)[name].addresses
    names = [address.display_name for address in addresses]
    if rfc2047 and len(addresses) == 1:
        phrase = re.sub(rb"\r\n[ \t]", b" ", header).decode("ascii").partition(": ")[2].rpartition(" <")[0]
        names = [str(make_header(decode_header(phrase)))]
    return [(" ".join(shown.split()), address.addr_spec) for shown, address in zip(names, addresses)]


def _encoded_address(name: str, value: str) -> bytes | None:
    """The header of one address whose display name is not ASCII, the name as encoded-words of at
    most 75 characters, folded between them: split after a space, which the word before keeps
    (readers drop the space between two encoded-words, RFC 2047, 6.2; Python's parser reads one
    more), and inside a run of characters with no space too long for one (as Chinese is
    written), between two characters.  None for anything else."""
    pairs = getaddresses([value])
    if len(pairs) != 1 or pairs[0][0].isascii():
        return None
    display, address = pairs[0]
    first_room = min(78 - len(f"{name}: "), 75)
    chunks = []
    for chunk in re.findall(r"\s*\S+\s*", display):
        chunks.extend([chunk] if len(_encoded_word(chunk)) <= first_room else chunk)  # else its characters
    lines: list[str] = []
    line = ""
    for chunk in chunks:
        room = 78 - len(f"{name}: ") if not lines else 77  # a folded line starts with a space
        if line and len(_encoded_word(line + chunk)) > min(room, 75):
            lines.append(_encoded_word(line))
            line = chunk
        else:
            line += chunk
    lines.append(_encoded_word(line))
    if len(lines[0]) > 78 - len(f"{name}: ") or any(len(word) > 75 for word in lines):
        return None
    last = len(f"{name}: " if len(lines) == 1 else " ") + len(lines[-1])
    end = " " if last + len(f" <{address}>") <= 78 else "\r\n "
    return (f"{name}: " + "\r\n ".join(lines) + f"{end}<{address}>\r\n").encode("ascii")


def _encoded_word(text: str) -> str:
    """``text`` as one RFC 2047 encoded-word (UTF-8, base64)."""
    return f"=?utf-8?b?{binascii.b2a_base64(text.encode('utf-8'), newline=False).decode('ascii')}?="


def _folded_header(name: str, value: str, rules: policy.EmailPolicy) -> bytes:
    message = EmailMessage(policy=rules)
    message[name] = value
    return b"".join(rules.fold_binary(key, folded) for key, folded in message.items())


def _quoted_printable_part(subtype: str, body: str) -> bytes:
    """One text part of a MIME message: its headers, then the body in quoted-printable with CRLF line ends."""
    # Line ends become LF first: binascii keeps a lone CR as it is, and answers CRLF with CRLF.
    lines = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), istext=True).split(b"\n")
    if max(map(len, encoded)) > QP_LINE or any(line.startswith(FROM_LINE) for line in encoded):
        encoded = [_within_qp_line(line) for line in encoded]
    encoded = b"\r\n".join(encoded)
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
            .encode("ascii") + encoded)


#: The longest line of quoted-printable text (RFC 2045).
QP_LINE = 76

#: What a line of a mailbox file must not start with: mbox takes it for the next message's
#: start, and the mail programs that deliver into one write it ">From ", which readers see.
FROM_LINE = b"From "


def _within_qp_line(line: bytes) -> bytes:
    """A quoted-printable line cut by soft line breaks into lines of at most QP_LINE characters,
    ended by CRLF as in the message, none of them starting "From " (written "=46rom " instead).
    binascii leaves a line of 77 or 78 when it must encode a space that ends it (``=20``)."""
    parts = []
    while True:
        if line.startswith(FROM_LINE):
            line = b"=46" + line[1:]
        if len(line) <= QP_LINE:
            break
        cut = QP_LINE - 1  # and a "=" after it
        if line[cut - 1:cut] == b"=":
            cut -= 1  # not inside an =XX escape
        elif line[cut - 2:cut - 1] == b"=":
            cut -= 2
        parts.append(line[:cut] + b"=")
        line = line[cut:]
    parts.append(line)
    return b"\r\n".join(parts)


def pick_day(days: Sequence[DayPage], which: str) -> DayPage:
    """The day named by ``latest`` or ``YYYY-MM-DD``."""
    if not days:
        raise DigestError("there are no list days to send: add a snapshot first")
    if which == "latest":
        return days[-1]
    for day in days:
        if day.date.isoformat() == which:
            return day
    known = ", ".join(d.date.isoformat() for d in reversed(days[-5:]))
    raise DigestError(f"no list day {which} (latest days: {known})")


# --- sending ------------------------------------------------------------------------------------


#: An SMTP reply is a few lines (EHLO's lists the server's extensions); a server that sends
#: more is not answering, and smtplib would keep every line.
MAX_REPLY_LINES = 1000


class _ReplyTooLong(Exception):
    """Not an OSError, as smtplib's own errors are: it would call it a closed connection."""


class _CountedLines:
    """The stream an SMTP client reads replies from, refusing a reply of too many lines."""

    def __init__(self, stream):
        self.stream, self.lines = stream, 0

    def readline(self, size: int = -1) -> bytes:
        self.lines += 1
        if self.lines > MAX_REPLY_LINES:
            raise _ReplyTooLong
        return self.stream.readline(size)

    def close(self) -> None:
        self.stream.close()


def _smtp_client(secure: bool):
    """smtplib's client class, with replies bounded in length (see MAX_REPLY_LINES)."""
    import smtplib  # only sending needs it: builds start without

    class BoundedReplies(smtplib.SMTP_SSL if secure else smtplib.SMTP):
        #: The message of the transaction is sent (its last line too) and the reply to it not read:
        #: should the exchange end now, the server may have taken it.
        message_sent = False
        #: The reply to the message, its code and text (code -1: a reply without one, which says
        #: neither yes nor no); None before it comes.
        message_reply: tuple[int, bytes] | None = None

        def mail(self, *args, **kwargs):  # a transaction begins
            self.message_sent, self.message_reply = False, None
            return super().mail(*args, **kwargs)

        def send(self, s):
            message = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
            # Set before: Ctrl-C may come as soon as the last byte is out, before the next line.
            self.message_sent = self.message_sent or message
            try:
                super().send(s)
            except (OSError, smtplib.SMTPException):  # not all of it sent: no message the server can take
                self.message_sent = self.message_sent and not message
                raise

        def getreply(self):
            if self.file is None and self.sock is not None:
                self.file = _CountedLines(self.sock.makefile("rb"))
            if isinstance(self.file, _CountedLines):
                self.file.lines = 0
            reply = super().getreply()
            if self.message_sent:  # the reply to the message
                self.message_sent, self.message_reply = False, reply
            return reply

        @property
        def maybe_delivered(self) -> bool:
            """Whether the server may have taken the message of this transaction without saying so."""
            return self.message_sent or self.message_reply is not None and self.message_reply[0] == -1

        @property
        def message_refusal(self) -> tuple[int, bytes] | None:
            """The reply that refused the message of this transaction, if one did."""
            return self.message_reply if self.message_reply is not None and self.message_reply[0] >= 400 else None

    return BoundedReplies


def smtp_login(environ: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """The user name and password to log in to the SMTP server with, from DIGEST_SMTP_USER and
    DIGEST_SMTP_PASSWORD (no user name: no login).  A password without a user name is refused:
    sending without the login it was meant for would fail later, or go out unauthenticated."""
    user, password = environ.get("DIGEST_SMTP_USER") or None, environ.get("DIGEST_SMTP_PASSWORD")
    if password and user is None:
        raise DigestError("DIGEST_SMTP_PASSWORD is set but DIGEST_SMTP_USER is empty or unset; "
                          "set both to log in, or neither to send without a login")
    return user, password


def dated_for_sending(message: bytes, now: dt.datetime) -> bytes:
    """The message as it is sent at ``now``: dated its list day's noon (UTC, see build_message),
    unless that is still to come, as for a list sent the morning it is out; then dated ``now``.
    A Date hours ahead is a mark of spam (SpamAssassin's DATE_IN_FUTURE rules), and mail
    clients sort the message above mail that came after it."""
    head, blank, body = message.partition(b"\r\n\r\n")
    found = re.search(rb"^Date: ([^\r\n]*)\r$", head, re.MULTILINE)
    if found is None:
        return message
    dated = parsedate_to_datetime(found[1].decode("ascii"))
    if dated <= now:
        return message
    sent = format_datetime(now.astimezone(dt.timezone.utc).replace(microsecond=0))
    return head[:found.start(1)] + sent.encode("ascii") + head[found.end(1):] + blank + body


@contextmanager
def _terminate_as_interrupt():
    """SIGTERM (what cron and CI time limits send) stops the sending as Ctrl-C does, so that those
    the e-mail went to are told; it ended digest without a word."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def send_message(message: bytes, recipients: Sequence[str], mail: EmailConfig,
                 environ: Mapping[str, str] = os.environ) -> None:
    """Deliver the message as it is to ``recipients`` through the configured SMTP server.
    ``email.smtp_timeout`` bounds the whole exchange, not only each read.  When it goes to some
    recipients and not to others, the error names both."""
    user, password = smtp_login(environ)
    sender = envelope_sender(mail.sender)
    delivered: list[str] = []
    refused: dict = {}
    try:
        with _terminate_as_interrupt():
            _explained_exchange(message, recipients, mail, sender, user, password, delivered, refused)
    except DigestError as error:
        if delivered:  # say so, or a second try would send it to them again
            raise PartlySent(f"{error.message}; the e-mail had already gone to {', '.join(delivered)}") from None
        raise
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (a cron or CI time limit)
        if delivered:
            raise PartlySent(f"interrupted; the e-mail had already gone to {', '.join(delivered)}") from None
        raise
    if refused:
        who = ", ".join(f"{address} ({code} {_text(reason)})".rstrip() for address, (code, reason) in refused.items())
        raise (PartlySent if delivered else DigestError)(
            f"the SMTP server {_server(mail)} refused {len(refused)} of {len(recipients)} recipients: "
            f"{who}" + (f"; the e-mail went to {', '.join(delivered)}" if delivered else ""))


def _addresses(addresses: Sequence[str], most: int = 10) -> str:
    """Addresses for a message: all of a few, else the first ones and how many more (never those
    the e-mail went to: a second try must leave out every one of them)."""
    shown = ", ".join(addresses[:most])
    return shown if len(addresses) <= most else f"{shown} and {len(addresses) - most} more"


def _server(mail: EmailConfig) -> str:
    return f"{mail.smtp_host}:{mail.smtp_port}"


def _text(reason) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def _explained_exchange(message: bytes, recipients: Sequence[str], mail: EmailConfig, sender: str,
                        user: str | None, password: str | None, delivered: list[str], refused: dict) -> None:
    """``_exchange`` within ``email.smtp_timeout``; what goes wrong, as a DigestError that says it."""
    import smtplib

    where = _server(mail)
    try:
        with time_limit(mail.smtp_timeout):
            _exchange(message, recipients, mail, sender, user, password, delivered, refused)
    except Overrun:
        raise DigestError(f"the SMTP server {where} did not finish within {mail.smtp_timeout:g} s") from None
    except _ReplyTooLong:
        raise DigestError(f"the SMTP server {where} sent a reply of more than {MAX_REPLY_LINES} lines") from None
    except smtplib.SMTPNotSupportedError as error:
        if "AUTH" in str(error).upper():  # login() asked for what the server does not offer
            raise DigestError(f"the SMTP server {where} takes no login (AUTH), but DIGEST_SMTP_USER is set; "
                              f"unset it to send without one") from None
        raise DigestError(f"the SMTP server {where} does not offer STARTTLS; set email.smtp_security "
                          f"to ssl or none") from None
    except smtplib.SMTPAuthenticationError as error:
        raise DigestError(f"the SMTP server {where} refused the login of DIGEST_SMTP_USER: "
                          f"{error.smtp_code}") from None
    except smtplib.SMTPServerDisconnected:
        raise DigestError(f"the SMTP server {where} closed the connection before the message was sent") from None
    except smtplib.SMTPResponseException as error:
        if error.smtp_code == -1:  # smtplib's code for a reply that does not begin with one
            raise DigestError(f"the SMTP server {where} answered with something that is not SMTP") from None
        reason = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        raise DigestError(f"the SMTP server {where} answered {error.smtp_code} {reason}") from None
    except smtplib.SMTPException as error:
        raise DigestError(f"sending through {where} failed: {error}") from None
    except (socket.timeout, TimeoutError):
        raise DigestError(f"the SMTP server {where} did not answer within {mail.smtp_timeout:g} s") from None
    except ssl.SSLError as error:
        raise DigestError(f"TLS with the SMTP server {where} failed: {error.reason or error}") from None
    except OSError as error:
        raise DigestError(f"cannot reach the SMTP server {where}: {error.strerror or error}") from None
    except UnicodeError:  # smtplib speaks ASCII: a non-ASCII address, user name or password
        raise DigestError(f"cannot send through {where}: an address, DIGEST_SMTP_USER or DIGEST_SMTP_PASSWORD "
                          f"holds characters SMTP cannot carry here (non-ASCII)") from None


def _maybe_sent(error: BaseException, batch: list[str], mail: EmailConfig) -> PartlySent:
    """The exchange ended once the server had the whole message, without a reply that says
    whether it took it: it may have gone to ``batch``, which the error names, so that whoever
    tries again knows."""
    import smtplib

    server = _server(mail)
    if isinstance(error, KeyboardInterrupt):
        what = f"interrupted once the SMTP server {server} had the message, before it said whether it took it"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        what = f"the SMTP server {server} closed the connection once it had the message, before saying whether it " \
               f"took it"
    elif isinstance(error, (Overrun, socket.timeout, TimeoutError)):
        what = f"the SMTP server {server} did not say within {mail.smtp_timeout:g} s whether it took the message"
    elif isinstance(error, _ReplyTooLong):
        what = f"the SMTP server {server} answered the message with a reply of more than {MAX_REPLY_LINES} lines"
    elif isinstance(error, smtplib.SMTPResponseException):  # code -1: smtplib's for a reply without one
        what = f"the SMTP server {server} answered the message with something that is not SMTP"
    else:
        what = f"the exchange with the SMTP server {server} failed ({type(error).__name__}) once it had the " \
               f"message, before it said whether it took it"
    return PartlySent(f"{what}: the e-mail may have gone to {', '.join(batch)}")


#: Recipients of one message transaction: RFC 5321 has servers take at least 100, and many
#: refuse more (452); more recipients are sent the message again, 100 at a time.
RECIPIENTS_PER_TRANSACTION = 100


def _exchange(message: bytes, recipients: Sequence[str], mail: EmailConfig, sender: str,
              user: str | None, password: str | None, delivered: list[str], refused: dict) -> None:
    """One SMTP session that sends the message, RECIPIENTS_PER_TRANSACTION recipients at a time;
    adds the recipients it went to to ``delivered`` as it goes (so that they are known if the
    session fails later), and those the server refused, with its reply, to ``refused``."""
    import smtplib

    secure = mail.smtp_security == "ssl"
    tls = {"context": ssl.create_default_context()} if secure else {}
    client = _smtp_client(secure)
    server = client(mail.smtp_host, mail.smtp_port, timeout=mail.smtp_timeout, **tls)
    try:
        if mail.smtp_security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if user:
            server.login(user, password or "")
        for first in range(0, len(recipients), RECIPIENTS_PER_TRANSACTION):
            batch = list(recipients[first:first + RECIPIENTS_PER_TRANSACTION])
            try:
                not_taken = server.sendmail(sender, batch, message)
            except smtplib.SMTPRecipientsRefused as error:
                # Nothing of this batch was sent: every recipient was refused, or a 421 closed the
                # session part-way (then only those asked so far are listed, and nothing more goes).
                refused.update(error.recipients)
                if server.sock is None:
                    address, (code, reason) = list(error.recipients.items())[-1]
                    raise DigestError(f"the SMTP server {_server(mail)} closed the connection "
                                      f"({code} {_text(reason)}) at the recipient {address}; the e-mail went to "
                                      f"none of {_addresses(recipients[first:])}") from None
                continue
            except (Exception, KeyboardInterrupt) as error:
                if server.maybe_delivered and not isinstance(error, DigestError):
                    raise _maybe_sent(error, batch, mail) from None
                if (server.message_refusal is not None and isinstance(error, Exception)
                        and not isinstance(error, smtplib.SMTPResponseException)):
                    # What failed after the refusal (the RSET smtplib says then, unanswered) would hide it.
                    raise smtplib.SMTPDataError(*server.message_refusal) from None
                raise
            refused.update(not_taken)
            delivered += [address for address in batch if address not in not_taken]
    except BaseException:
        # Closed without QUIT: after a failure (the time limit, say) QUIT would wait for the
        # server once more, a whole smtp_timeout.
        server.close()
        raise
    try:
        server.quit()
    except (smtplib.SMTPException, OSError, Overrun):
        server.close()  # the message is sent: a goodbye that goes wrong changes nothing
