"""``digest serve``: build, serve the site on 127.0.0.1, rebuild on every change, reload the browser.

The site is served under its base URL's path (``/digest/`` for
``https://example.org/digest/``), as it will be published: its 404 page, served
at any depth, links from there.  The server adds one small script to every
HTML page it serves (never to the built files) that asks ``/__digest__/state``
once a second and reloads the page when a new build is ready, or shows the
build's error over the page.  A failed build keeps the previous site served
and says what is wrong in the terminal and in the browser.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from digest.cache import editor_leftover
from digest.config import load_config
from digest.errors import DigestError, file_system_error, shown, tracebacks_asked, unexpected_error_message
from digest.inputs import STATIC
from digest.output import MARKER, resolved_folder

STATE = "/__digest__/state"
RELOAD_SCRIPT = "/__digest__/reload.js"

_RELOAD_JS = """(function () {
  var seen = null;
  function overlay(message, built) {
    var box = document.getElementById("digest-error");
    if (!message) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "digest-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:1rem;max-height:50vh;" +
        "overflow:auto;white-space:pre-wrap;background:#7f1d1d;color:#fff;font:14px/1.4 monospace;z-index:9999";
      document.body.appendChild(box);
    }
    box.textContent = (built ? "digest: the last build failed; this page shows the previous one."
                             : "digest: the build failed; there is no site yet.") + "\\n\\n" + message;
  }
  function poll() {
    fetch("%s", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (state) {
      if (seen !== null && state.build !== seen) { location.reload(); return; }
      seen = state.build;
      overlay(state.error, state.site);
    }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
""" % STATE


@dataclass
class BuildState:
    """The latest build's number and error, and the path the last good build's site is served
    under, shared between the watcher and the request handlers."""

    build: int = 0
    error: str = ""
    base_path: str = "/"
    site: bool = False  #: a site is served: this serve's build, or one an earlier build left
    lock: threading.Lock = field(default_factory=threading.Lock)

    def succeeded(self, base_path: str | None = None) -> None:
        with self.lock:
            self.build += 1
            self.error = ""
            self.base_path = base_path or "/"
            self.site = True

    def serves_earlier_site(self, base_path: str) -> None:
        """The first build failed, and the output folder holds the site an earlier one left:
        served as it is, under its base path."""
        with self.lock:
            self.base_path = base_path
            self.site = True

    def failed(self, message: str) -> None:
        with self.lock:
            self.error = message

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"build": self.build, "error": self.error, "site": self.site}).encode("utf-8")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder, the build state and the reload script; HTML gets the script added."""

    state: BuildState

    def __init__(self, *args, state: BuildState, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - quiet: the terminal is for build messages
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def guess_type(self, path):
        # An OPML list of feeds is XML to show, not a file to download, as a published site serves it.
        kind = "text/x-opml" if str(path).endswith(".opml") else super().guess_type(path)
        # Every text file digest writes is UTF-8; without a charset a browser takes a text e-mail's
        # ".txt" for windows-1252.
        return f"{kind}; charset=utf-8" if kind.startswith("text/") and "charset" not in kind else kind

    def do_GET(self):  # noqa: N802 - http.server's name
        self._respond(body=True)

    def do_HEAD(self):  # noqa: N802 - http.server's name
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        """GET (``body``) or HEAD: the same status and headers either way."""
        standard = super().do_GET if body else super().do_HEAD
        if self.path[:8].lower().startswith(("http://", "https://")):  # the absolute form (RFC 9112, 3.2.2)
            try:
                parts = urlsplit(self.path)
            except ValueError:  # "http://[::1/": no URL
                return self._not_found(body)
            self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        asked, _, query = self.path.partition("?")
        if asked == STATE:
            return self._send(200, "application/json", self.state.as_json(), body)
        if asked == RELOAD_SCRIPT:
            return self._send(200, "text/javascript", _RELOAD_JS.encode("utf-8"), body)
        with self.state.lock:
            base = self.state.base_path
        below = _below(asked, base)
        if below is None:  # outside the site's path: the site's start, or its 404 page
            return self._redirect(base, body) if unquote(asked) in ("/", unquote(base).rstrip("/")) else \
                self._not_found(body)
        self.path = below + (f"?{query}" if query else "")  # what http.server serves from the folder
        try:
            path = Path(self.translate_path(self.path))
            if asked.endswith("/") and not path.is_dir():  # index.html/ names no folder (pathlib drops the slash)
                return self._not_found(body)
            if path.is_dir():
                if not asked.endswith("/"):  # to the folder, with its slash (and the query: search?q=…)
                    return self._redirect(asked + "/" + (f"?{query}" if query else ""), body)
                path = path / "index.html"
            # A link in the site folder to a file elsewhere (digest makes none) is not served.
            inside = path.resolve().is_relative_to(self.directory)
            if inside and path.suffix == ".html" and path.is_file():
                return self._send(200, "text/html; charset=utf-8", _with_reload_script(path.read_bytes()), body)
            missing = not inside or not path.exists()
        except (OSError, ValueError, RuntimeError):  # a name the file system refuses (too long, a NUL), a link loop
            missing = True
        return self._not_found(body) if missing else standard()

    def _not_found(self, body: bool) -> None:
        """The site's own 404 page, if it has one; else (no site built yet, the first build having
        failed) a page of our own, which shows the build's error and reloads once a build succeeds."""
        page = Path(self.directory) / "404.html"
        html = page.read_bytes() if page.is_file() and not page.is_symlink() else _NO_PAGE
        return self._send(404, "text/html; charset=utf-8", _with_reload_script(html), body)

    def _redirect(self, location: str, body: bool) -> None:
        # A path on this server: browsers read "/\\evil.example/" and "//evil.example/" as another host's.
        location = "/" + location.replace("\\", "%5C").lstrip("/")
        self._send(302, "text/plain; charset=utf-8", f"see {location}".encode("utf-8"), body, location)

    def _send(self, status: int, kind: str, data: bytes, body: bool = True, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if body:
            self.wfile.write(data)


_NO_PAGE = (b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>No such page</title></head>'
            b"<body><p>No such page in the site (or no site built yet).</p></body></html>")


class _Server(http.server.ThreadingHTTPServer):
    """The server, quiet about a browser that closes a connection before its answer is sent (it
    moved on to another page): the terminal is for build messages, never for tracebacks."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        print(f"digest: error: answering {client_address[0]}: {shown(unexpected_error_message(error))}",
              file=sys.stderr, flush=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


def _with_reload_script(html: bytes) -> bytes:
    tag = f'<script src="{RELOAD_SCRIPT}"></script>'.encode()
    return html.replace(b"</body>", tag + b"</body>", 1) if b"</body>" in html else html + tag


def _below(asked: str, base: str) -> str | None:
    """The path of a request below the site's base path (``/dates/`` of ``/digest/dates/`` under
    ``/digest/``), as a path from the site folder; None if the request is not below it."""
    decoded, prefix = unquote(asked), unquote(base)
    if not decoded.startswith(prefix):
        return None
    return quote("/" + decoded[len(prefix):])


def generated(path: Path, content_dir: Path, out_dir: Path | None = None) -> bool:
    """Files the build itself writes into the content folder (rebuilding on them would never stop),
    and the site it writes (``out_dir``), wherever that is: inside the content folder, say; also
    what no build reads: hidden files (but in static/, which is published whole), an editor's
    leftovers (see ``editor_leftover``), and in the content folder what is in hidden folders (the
    build cache beside a site written there) and the folders on the way to a site there, which the
    build makes."""
    resolved, content = path.resolve(), content_dir.resolve()
    if out_dir is not None:
        out = out_dir.resolve()
        if resolved.is_relative_to(out) or (out.is_relative_to(resolved) and resolved != content
                                            and resolved.is_relative_to(content)):
            return True
    try:
        relative = resolved.relative_to(content)
    except ValueError:
        relative = None
    if relative is not None and relative.parts[:1] == (STATIC,):
        return editor_leftover(path.name)  # hidden files there are published too
    if path.name.startswith(".") or editor_leftover(path.name):
        return True
    if relative is None:
        return False
    return relative.parts[:1] in (("dates",), ("topics",)) or any(part.startswith(".") for part in relative.parts)


def _earlier_site_path(out_dir: Path, content_dir: Path) -> str | None:
    """The path a site an earlier build left in ``out_dir`` is served under (its settings' base
    URL's, as they read now), or None where no build left one."""
    if not (out_dir / MARKER).is_file():
        return None
    try:
        return urlsplit(load_config(content_dir).site.base_url).path or "/"
    except DigestError:  # settings that do not read now: the site's start at the root
        return "/"


def _files_under(folders: list[str], watched: Callable[[str], bool]) -> set[str]:
    """The files and links under ``folders`` that ``watched`` keeps (not in folders it leaves
    out), each by its real path (see ``_real``): the watcher names them from the folders as
    given, relative or through links, and follows links to folders, as this does."""
    found: set[str] = set()
    entered: set[tuple[int, int]] = set()  # each folder once: links may lead in a loop
    for top in folders:
        for folder, subfolders, names in os.walk(os.path.abspath(top), followlinks=True):
            try:
                status = os.stat(folder)
            except OSError:
                subfolders[:] = []
                continue
            if (status.st_dev, status.st_ino) in entered:
                subfolders[:] = []
                continue
            entered.add((status.st_dev, status.st_ino))
            subfolders[:] = [name for name in subfolders if watched(os.path.join(folder, name))]
            found.update(_real(path) for name in names if watched(path := os.path.join(folder, name)))
    return found


def _real(path: str) -> str:
    """A path with its folders' links resolved, the same for a file that is gone as it was while
    it was there (its own name, a link or not, is kept)."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(folder), name)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path now (device and inode), or None if there is none."""
    try:
        status = folder.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if stat.S_ISDIR(status.st_mode) else None


def serve(content_dir: Path, out_dir: Path, templates_dir: Path, *, host: str, port: int,
          rebuild: Callable[[], str | None], report: Callable[[str], None],
          ready: Callable[[str], None] = lambda url: None, stop: threading.Event | None = None) -> None:
    """Build once, then serve ``out_dir`` and rebuild whenever content or templates change.
    ``rebuild`` returns the path of the built site's base URL, which the site is served under."""
    from watchfiles import Change, watch

    state = BuildState()
    announced = threading.Event()  # where the site is served has been said (see watching)

    def build_now() -> None:
        try:
            try:
                base_path = rebuild()
            except OSError as error:
                if tracebacks_asked():
                    raise
                raise file_system_error(error) from None
        except DigestError as error:
            state.failed(str(error))
            if not state.site and (earlier := _earlier_site_path(out_dir, content_dir)) is not None:
                state.serves_earlier_site(earlier)
            for line in str(error).splitlines():
                report(f"digest: error: {shown(line)}")
        except Exception as error:  # noqa: BLE001 - a bug in digest: told, and the last good site still served
            if tracebacks_asked():
                raise
            state.failed(unexpected_error_message(error))
            report(f"digest: error: {shown(unexpected_error_message(error))}")
        else:
            before = state.base_path
            state.succeeded(base_path)
            if announced.is_set() and state.base_path != before:  # base_url's path changed, and the address
                report(f"digest: serving at {address}{state.base_path} now")

    out_dir = resolved_folder(out_dir)
    handler = functools.partial(Handler, directory=str(out_dir), state=state)
    ipv6 = ":" in host  # ::1, ::: an IPv6 address, which URLs write in brackets
    shown_host = f"[{host}]" if ipv6 else host
    try:  # the port first: a busy one is told at once, not after a whole build
        server = (_Server6 if ipv6 else _Server)((host, port), handler)
    except OSError as error:
        raise DigestError(f"cannot serve on {shown_host}:{port}: {error.strerror}") from None
    address = f"http://{shown_host}:{server.server_address[1]}"  # the site's, with its base path after it
    serving = threading.Thread(target=server.serve_forever, daemon=True)  # started once the first build is over
    # A build waits for the watcher to run, so that an edit saved while it builds is the watcher's
    # next answer: the first build, and the one after a watched folder was replaced.
    pending = True

    def watching() -> bool:
        """Once the watcher runs: make the build that waits for it, if one does, and say where the
        site is served, once; whether it built.  An edit made from then on is seen (and one made
        while it built too)."""
        nonlocal pending
        built, pending = pending, False
        if built:
            build_now()
        if serving.ident is None:  # the first build is over: the site is served from now on
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DigestError(f"cannot make the output folder: {error.strerror or error}", out_dir) from None
            serving.start()
        if not announced.is_set():
            announced.set()
            ready(address + state.base_path)
        return built

    stop = stop or threading.Event()
    roots = (content_dir, templates_dir)
    gone = False  # no folder to watch was there at the last look, and the build then was made
    try:
        while not stop.is_set():
            # A folder watched is followed as it is on the disk: one moved away and made anew (an
            # editor, a checkout) is a new folder, watched anew, and one not there yet is waited for.
            folders = [_identity(root) for root in roots]
            watched = [str(root) for root, folder in zip(roots, folders) if folder is not None]
            if not watched:
                if not gone:  # the build that tells what is missing, once
                    watching()
                    gone = True
                pending = True  # and the one once a folder is back
                stop.wait(0.5)
                continue
            gone = False
            present = _files_under(watched, lambda path: not generated(Path(path), content_dir, out_dir))
            # Asked again every quarter second, changes or not: the first answer says the watcher runs.
            # A root's own changes pass, also under a hidden name (.content): its removal says it was replaced.
            root_paths = {_real(str(root)) for root in roots}
            for changes in watch(*watched, stop_event=stop, debounce=300, step=100, rust_timeout=250,
                                 yield_on_timeout=True,
                                 watch_filter=lambda change, path: (_real(path) in root_paths
                                                                    or not generated(Path(path), content_dir, out_dir))):
                built = watching()
                # A folder removed and made anew may have the same inode number (ext4 gives it back
                # at once): its removal, which the watcher tells, says it was replaced too.
                removed = {_real(p) for change, p in changes if change == Change.deleted}
                replaced = [root for root, folder in zip(roots, folders)
                            if _identity(root) != folder or _real(str(root)) in removed]
                # A file made and removed since the last look (sed -i's, an editor's scratch file) is no
                # change; one removed and made again (git checkout, an editor's save by rename) is, and
                # so is one that was there before, saved by rename and then removed.
                passing = ({p for change, p in changes if change == Change.added}
                           & {p for change, p in changes if change == Change.deleted})
                passing = {p for p in passing if not os.path.lexists(p) and _real(p) not in present}
                for _, path in changes:
                    (present.add if os.path.lexists(path) else present.discard)(_real(path))
                changes = {(change, p) for change, p in changes if p not in passing}
                if built and not replaced:
                    continue  # changes made before the build began: it has them
                if changes or replaced:
                    names = sorted({Path(p).name for _, p in changes} | {root.name for root in replaced})
                    report(shown(f"digest: changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}; "
                                 f"rebuilding"))
                    if replaced:  # built once the new folder is watched
                        pending = True
                        break
                    build_now()
    finally:
        if serving.ident is not None:  # started (else shutdown() would wait for it without end)
            server.shutdown()
        server.server_close()
