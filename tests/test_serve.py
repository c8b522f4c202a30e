"""digest serve: a real server process, a real browser tab, edits on disk."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CONTENT, copy_content, run_cli
from digest.serve import generated

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
OLD_TITLE = "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures"
NEW_TITLE = "Insights into DeepSeek-V3, Revised: Scaling Challenges and Reflections on Hardware"


class Server:
    """``digest serve`` in a subprocess; its stderr lines are collected as they come."""

    def __init__(self, content: Path, out: Path, cwd: Path | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--content", str(content), "--out", str(out),
             "--port", "0", "--no-search"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # stop() presses Ctrl-C (SIGINT).  A shell ignores SIGINT in the commands it starts in
            # the background, and an ignored signal stays ignored in every child: the tests run so
            # (make test &) would start servers that nothing but a kill stops.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"serving .* at (http://127\.0\.0\.1:\d+/\S*)").group(1)

    def _read(self):
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if match := re.search(pattern, line):
                return match
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"digest serve exited: {self.seen}"
                continue
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} in {self.seen}")

    def stop(self) -> int:
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=15)
            self.process.stderr.close()  # the reader thread has seen the end of it


@pytest.fixture
def server(content_copy, tmp_path):
    running = Server(content_copy, tmp_path / "site")
    yield running
    running.stop()


def test_an_edit_shows_in_the_open_tab_and_a_broken_snapshot_does_not_stop_the_server(server, content_copy):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "dates/2026-01-07/")
            assert page.locator(".paper-title a").first.inner_text() == OLD_TITLE

            # Edit the snapshot on disk: the open tab reloads by itself and shows the new title.
            snapshot = content_copy / "snapshots" / "2026-01-07.txt"
            snapshot.write_text(snapshot.read_text().replace(OLD_TITLE, NEW_TITLE, 1))
            page.wait_for_function(f"document.querySelector('.paper-title a').textContent === {NEW_TITLE!r}",
                                   timeout=30000)
            server.wait_for(r"rebuilding")

            # A broken snapshot: the error is in the terminal and on the page; the old site stays served.
            broken = content_copy / "snapshots" / "2026-01-20.txt"
            broken.write_text("Daily Papers\n\nJan 20\n\nA title and nothing else\n")
            server.wait_for(r"digest: error: .*2026-01-20\.txt:5: card 'A title and nothing else' has a title "
                            r"but no abstract")
            page.wait_for_selector("#digest-error", timeout=15000)
            assert "has a title but no abstract" in page.locator("#digest-error").inner_text()
            assert page.locator(".paper-title a").first.inner_text() == NEW_TITLE
            with urllib.request.urlopen(server.url + "archive/") as response:
                assert response.status == 200 and b"19 January 2026" in response.read()

            # Fixed again: the error goes away with the next build.
            broken.unlink()
            page.wait_for_function("!document.getElementById('digest-error')", timeout=30000)
            assert server.process.poll() is None
        finally:
            browser.close()
    assert server.stop() == 0


def _error_shown(browser, url: str, status: int):
    """A new tab at ``url``, answered with ``status``, and the build error it shows over the page."""
    page = browser.new_page()
    assert page.goto(url).status == status
    page.wait_for_selector("#digest-error", timeout=15000)
    return page, page.locator("#digest-error").inner_text()


def test_when_the_first_build_fails_the_tab_shows_its_error_and_the_site_once_it_is_mended(content_copy, tmp_path):
    """With no site built yet, every page is missing: the page served for it shows the build's
    error, and reloads once a build succeeds (it was a bare "Error response", never reloaded)."""
    from playwright.sync_api import sync_playwright

    broken = content_copy / "snapshots" / "2026-01-20.txt"
    broken.write_text("Daily Papers\n\nJan 20\n\nA title and nothing else\n")
    running = Server(content_copy, tmp_path / "site")
    try:
        running.wait_for(r"digest: error: .*has a title but no abstract")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            try:
                page, told = _error_shown(browser, running.url, 404)
                assert "has a title but no abstract" in told
                assert told.startswith("digest: the build failed; there is no site yet.")  # no previous one
                broken.unlink()
                page.wait_for_selector(".paper-title a", timeout=30000)
                assert not page.query_selector("#digest-error")
            finally:
                browser.close()
    finally:
        assert running.stop() == 0


def test_the_reload_script_is_added_only_to_served_pages(server, tmp_path):
    with urllib.request.urlopen(server.url) as response:
        served = response.read().decode()
    assert '<script src="/__digest__/reload.js"></script></body>' in served
    assert "__digest__" not in (tmp_path / "site" / "index.html").read_text()
    with urllib.request.urlopen(server.url + "__digest__/state") as response:
        assert response.read() == b'{"build": 1, "error": "", "site": true}'
    for path in ("no/such/page/", "index.html/", "atom.xml/"):  # a file with a slash names no folder
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.url + path)
        assert missing.value.code == 404 and b"Page not found" in missing.value.read(), path


def test_text_files_are_served_as_utf_8_as_they_are_written(server, tmp_path):
    """Without a charset, a browser reads a text e-mail's "·" and accents as windows-1252."""
    [text_email] = sorted((tmp_path / "site" / "email").glob("*.txt"))[-1:]
    for path, kind in ((f"email/{text_email.name}", "text/plain"), ("assets/style.css", "text/css")):
        with urllib.request.urlopen(server.url + path) as response:
            assert response.headers["Content-Type"] == f"{kind}; charset=utf-8", path
            assert response.read() == (tmp_path / "site" / path).read_bytes()
    assert "\u00b7" in text_email.read_text(encoding="utf-8")  # a character windows-1252 shows otherwise
    with urllib.request.urlopen(server.url + "atom.xml") as response:
        assert "charset" not in response.headers["Content-Type"]  # XML says its encoding itself


def test_a_name_too_long_for_the_file_system_is_a_missing_page_and_head_agrees_with_get(server):
    for path in ("x" * 300, "a/" * 2100):  # one name over 255 bytes; a path over 4 KB
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.url + path)
        assert missing.value.code == 404 and b"Page not found" in missing.value.read()
    assert not [line for line in server.seen if "Traceback" in line or "Error" in line], server.seen
    for path in ("", "feed.xml", "__digest__/state"):
        with urllib.request.urlopen(server.url + path) as response:
            body = response.read()
            length = response.headers["Content-Length"]
        with urllib.request.urlopen(urllib.request.Request(server.url + path, method="HEAD")) as head:
            assert (head.status, head.headers["Content-Length"], head.read()) == (200, length, b"")
        assert int(length) == len(body)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(urllib.request.Request(server.url + "no/such/page/", method="HEAD"))
    assert missing.value.code == 404


def test_links_planted_in_the_site_to_files_elsewhere_are_not_served(server, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    (tmp_path / "secret-folder").mkdir()
    (tmp_path / "secret-folder" / "index.html").write_text("<p>not for the web</p>")
    site = tmp_path / "site"
    (site / "planted.txt").symlink_to(secret)
    (site / "planted-folder").symlink_to(tmp_path / "secret-folder")
    (site / "planted-index").mkdir()
    (site / "planted-index" / "index.html").symlink_to(tmp_path / "secret-folder" / "index.html")
    (site / "loop").symlink_to(site / "loop")
    for path in ("planted.txt", "planted-folder/", "planted-folder/index.html", "planted-index/", "loop",
                 "loop/x.html", "a%00b", "a%00b.html"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url + path)
        assert refused.value.code == 404 and b"not for the web" not in refused.value.read(), path
    assert not [line for line in server.seen if "Traceback" in line or "Error" in line], server.seen
    with urllib.request.urlopen(server.url + "archive/") as response:  # the site's own pages still are
        assert response.status == 200


def test_when_the_first_build_fails_a_site_built_before_is_served_under_its_path_and_said_to_be_the_last(
        content_copy, tmp_path):
    """A site an earlier build left in the output folder is served when serve's first build fails:
    under its base URL's path (it was served at "/", its links all missing pages), with the error
    over it as the previous site's (the overlay said there was no site)."""
    from playwright.sync_api import sync_playwright

    settings = content_copy / "site.yaml"
    settings.write_text(settings.read_text().replace("https://digest.example.org/", "https://digest.example.org/d/"))
    assert run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search").returncode == 0
    (content_copy / "snapshots" / "2026-01-20.txt").write_text("Daily Papers\n\nJan 20\n\nA title and nothing else\n")
    running = Server(content_copy, tmp_path / "site")
    try:
        assert running.url.endswith("/d/"), running.seen
        running.wait_for(r"digest: error: .*has a title but no abstract")
        with urllib.request.urlopen(running.url + "archive/") as response:
            assert response.status == 200 and b"19 January 2026" in response.read()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            try:
                _, told = _error_shown(browser, running.url, 200)
                assert told.startswith("digest: the last build failed; this page shows the previous one."), told
            finally:
                browser.close()
    finally:
        assert running.stop() == 0


def test_a_site_whose_base_url_has_a_path_is_served_under_it_and_its_404_page_links_work(content_copy, tmp_path):
    """The 404 page, served at any depth, links from the base URL's path: served from "/", its
    style sheet and every link were missing pages themselves."""
    settings = content_copy / "site.yaml"
    settings.write_text(settings.read_text().replace("https://digest.example.org/", "https://example.org/d%C3%AFgest/"))
    running = Server(content_copy, tmp_path / "site")
    try:
        assert running.url.endswith("/d%C3%AFgest/"), running.seen
        start = running.url.removesuffix("d%C3%AFgest/")
        for asked in (start, running.url.removesuffix("/")):  # the server's start, the path without its slash
            with urllib.request.urlopen(asked) as response:
                assert response.url == running.url and b"<h1" in response.read()
        with urllib.request.urlopen(running.url + "archive") as response:
            assert response.url == running.url + "archive/"
        for missing in (running.url + "no/such/page/", start + "dates/"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(missing)
            assert error.value.code == 404
            links = set(re.findall(r'(?:href|src)="(/[^"]*)"', error.value.read().decode()))
            assert "/d%C3%AFgest/assets/style.css" in links
            for link in links - {"/__digest__/reload.js"}:
                with urllib.request.urlopen(start + link.lstrip("/")) as response:
                    assert response.status == 200, link
    finally:
        running.stop()


def test_files_the_build_writes_into_content_do_not_trigger_rebuilds(tmp_path):
    content = tmp_path / "content"
    assert generated(content / "dates" / "2026-01-07.md", content)
    assert generated(content / "topics" / "llm-inference.md", content)
    assert generated(content / "snapshots" / ".2026-01-07.txt.tmp", content)
    assert not generated(content / "snapshots" / "2026-01-07.txt", content)
    assert not generated(content / "site.yaml", content)
    assert not generated(tmp_path / "templates" / "base.html", content)
    # An output folder inside the content folder is the build's, to the last file.
    assert generated(content / "site" / "index.html", content, content / "site")
    assert generated(content / "site" / "dates" / "2026-01-07" / "index.html", content, content / "site")
    assert not generated(content / "snapshots" / "2026-01-07.txt", content, content / "site")
    # Nor the cache the build keeps beside that site, nor what an editor leaves beside a file it edits.
    assert generated(content / ".site.cache" / "parsed" / "x.pickle", content, content / "site")
    assert generated(content / ".site.cache" / "search" / "2025-11" / "0", content, content / "site")
    for leftover in (".#style.css", "#style.css#", "style.css~", ".DS_Store", ".base.html.swp"):
        assert generated(tmp_path / "templates" / "assets" / leftover, content), leftover
        assert generated(content / "snapshots" / leftover, content), leftover
    assert not generated(tmp_path / "templates" / "assets" / "style.css", content)
    # static/ is published whole, hidden files too: a change there is one to rebuild for.
    for published in ("CNAME", ".nojekyll", ".well-known/security.txt"):
        assert not generated(content / "static" / published, content), published
    assert generated(content / "static" / "CNAME~", content)


@pytest.mark.parametrize("error, told", [
    (ZeroDivisionError("division by zero"), "internal error (ZeroDivisionError: division by zero); this is a bug in "
                                            "digest: please report it (DIGEST_TRACEBACK=1 shows where)"),
    # What the file system refused is the user's to fix, as in a build.
    (OSError(36, "File name too long", "c/snapshots/2026-02-01.txt"), "c/snapshots/2026-02-01.txt: File name too long"),
])
def test_a_rebuild_that_fails_unforeseen_is_told_in_one_line_and_the_server_keeps_serving(tmp_path, monkeypatch,
                                                                                          error, told):
    """An error digest did not foresee is reported like any other; the server still starts."""
    from digest.serve import serve

    monkeypatch.delenv("DIGEST_TRACEBACK", raising=False)
    (tmp_path / "content").mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the last good site")
    stop, reported, urls = threading.Event(), [], []

    def broken():
        raise error

    def ready(url):
        urls.append(url)
        stop.set()

    serve(tmp_path / "content", tmp_path / "site", tmp_path / "templates", host="127.0.0.1", port=0,
          rebuild=broken, report=reported.append, ready=ready, stop=stop)
    assert urls, "the server started after the failed build"
    assert reported == [f"digest: error: {told}"]


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_that_is_no_port_is_refused_before_building(tmp_path, port):
    result = run_cli("serve", "--content", CONTENT, "--out", tmp_path / "site", f"--port={port}", timeout=30)
    assert result.returncode == 2 and f"not a port number from 0 to 65535: '{port}'" in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_busy_port_is_told_before_building(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--content", CONTENT, "--out", tmp_path / "site", f"--port={port}", timeout=30)
    assert result.returncode == 1 and f"cannot serve on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "site").exists()


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_refused_not_taken_for_every_interface(tmp_path, host):
    result = run_cli("serve", "--content", CONTENT, "--out", tmp_path / "site", f"--host={host}", timeout=30)
    assert result.returncode == 2 and "argument --host: empty: give a host name or address" in result.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("where", ["content", "not built by digest"])
def test_a_folder_no_build_may_write_into_is_not_served(tmp_path, where):
    """A build refuses the content folder, or a folder it did not make; serving it anyway would
    show its files (the settings, or with --out / the whole file system)."""
    content = copy_content(tmp_path / "content")
    out = content if where == "content" else tmp_path / "home"
    if where != "content":
        out.mkdir()
        (out / "private.txt").write_text("not for the web")
    result = run_cli("serve", "--content", content, "--out", out, "--port=0", timeout=30)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "digest: error:" in result.stderr and "serving" not in result.stderr


def test_ctrl_c_as_a_rebuild_goes_live_stops_serve_once_the_build_is_complete(content_copy, tmp_path, monkeypatch,
                                                                             capsys):
    """The interrupt is held back while the new site goes live, so that the build completes; serve
    then went on serving, the user's Ctrl-C lost.  (A build that fails after it stops as well:
    see test_incremental.)"""
    import digest.cli
    import digest.serve
    from digest.output import SiteWriter

    original = SiteWriter.commit

    def interrupted(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return result

    def serve_once(content, out, templates, *, rebuild, **kwargs):  # the first build of serve, then serving
        rebuild()
        raise AssertionError("went on to serve")

    monkeypatch.setattr(SiteWriter, "commit", interrupted)
    monkeypatch.setattr(digest.serve, "serve", serve_once)
    code = digest.cli.main(["serve", "--content", str(content_copy), "--out", str(tmp_path / "site"), "--no-search"])
    err = capsys.readouterr().err
    assert code == 0 and err.splitlines()[-1] == "digest: stopped", err
    assert "the build went on to the end, and is complete" in err
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_browser_that_drops_its_requests_prints_no_traceback_and_folders_keep_their_query(server):
    import socket

    host, port = re.match(r"http://([\d.]+):(\d+)/", server.url).groups()
    for path in ("/no/such/page/", "/feed.xml", "/") * 5:
        with socket.create_connection((host, int(port))) as connection:  # asks, then goes away at once
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # a reset
            connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    connection = socket.create_connection((host, int(port)))
    connection.sendall(f"GET /dates?from=feed HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    connection.close()
    assert answer.startswith(b"HTTP/1.0 302") and b"\r\nLocation: /dates/?from=feed\r\n" in answer, answer[:300]
    with urllib.request.urlopen(server.url + "feeds.opml") as response:
        assert response.headers["Content-Type"] == "text/x-opml; charset=utf-8"
    assert server.stop() == 0
    assert not [line for line in server.seen if "Traceback" in line or "Error" in line], server.seen


def _raw_answer(server, target: str) -> bytes:
    """The server's answer to a GET of ``target`` as sent, not as a client library would write it."""
    import socket

    host, port = re.match(r"http://([\d.]+):(\d+)/", server.url).groups()
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_folder_redirect_stays_on_the_server_and_an_absolute_request_target_is_served(server):
    """"/\\evil.example/../dates" was sent to "/\\evil.example/../dates/", which browsers read as
    another host's address; and "GET http://host/index.html" (a form servers must take) was a 404."""
    for target, location in (("/\\evil.example/../dates", b"/%5Cevil.example/../dates/"),
                             ("//evil.example/../dates", b"/evil.example/../dates/")):
        answer = _raw_answer(server, target)
        assert answer.startswith(b"HTTP/1.0 302") and b"\r\nLocation: " + location + b"\r\n" in answer, answer[:300]
    answer = _raw_answer(server, server.url + "dates?from=feed")
    assert answer.startswith(b"HTTP/1.0 302") and b"\r\nLocation: /dates/?from=feed\r\n" in answer, answer[:300]
    assert _raw_answer(server, server.url + "index.html").startswith(b"HTTP/1.0 200")
    assert _raw_answer(server, "http://[::1/dates/").startswith(b"HTTP/1.0 404")  # no URL: no page, and no error
    assert not [line for line in server.seen if "error" in line], server.seen


def test_an_undone_edit_and_a_content_folder_made_anew_are_told_and_rebuilt(content_copy, tmp_path):
    running = Server(content_copy, tmp_path / "site")
    try:
        snapshot = content_copy / "snapshots" / "2026-01-19.txt"
        text = snapshot.read_text()
        snapshot.write_text("broken\n")
        running.wait_for(r"digest: error: .*2026-01-19\.txt")
        snapshot.write_text(text)  # put back as it was: the last good build's site, and said so
        running.wait_for(r"digest: nothing changed since the last build$")
        # The content folder moved away and made anew (as a checkout of another branch may): watched anew.
        content_copy.rename(tmp_path / "moved")
        running.wait_for(r"digest: error: .*site\.yaml: file not found")
        shutil.copytree(tmp_path / "moved", content_copy)
        running.wait_for(r"digest: (built|nothing changed)", timeout=30)
        time.sleep(1.5)  # and the new folder is watched just after that build
        del running.seen[:]
        edited = content_copy / "snapshots" / "2026-01-07.txt"
        edited.write_text(edited.read_text().replace(OLD_TITLE, NEW_TITLE))
        running.wait_for(r"digest: built \d+ files", timeout=30)
        assert NEW_TITLE in (tmp_path / "site" / "dates" / "2026-01-07" / "index.html").read_text()
    finally:
        running.stop()


def test_a_file_made_and_removed_between_two_looks_is_no_change_to_name(content_copy, tmp_path):
    """sed -i writes a scratch file ("sedGmlJhs") and renames it onto the file it edits: the
    terminal named the scratch file, which is gone, among the changes."""
    running = Server(content_copy, tmp_path / "site")
    try:
        settings = content_copy / "site.yaml"
        scratch = content_copy / "sedGmlJhs"
        scratch.write_text(settings.read_text() + "# edited\n")
        scratch.rename(settings)
        changed = running.wait_for(r"digest: changed: (.*); rebuilding")
        assert changed.group(1) == "site.yaml", running.seen
        running.wait_for(r"digest: (built|nothing changed)", timeout=30)
    finally:
        running.stop()


def test_a_file_removed_and_made_again_between_two_looks_is_a_change(content_copy, tmp_path):
    """As git checkout and editors that save by renaming do: the file, made and removed in one
    look, was taken for a scratch file, and the site was not rebuilt."""
    running = Server(content_copy, tmp_path / "site")
    try:
        del running.seen[:]  # the first build's lines
        snapshot = content_copy / "snapshots" / "2026-01-07.txt"
        text = snapshot.read_text().replace(OLD_TITLE, NEW_TITLE)
        snapshot.unlink()
        snapshot.write_text(text)
        changed = running.wait_for(r"digest: changed: (.*); rebuilding")
        assert changed.group(1) == "2026-01-07.txt", running.seen
        running.wait_for(r"digest: built \d+ files", timeout=30)
        assert NEW_TITLE in (tmp_path / "site" / "dates" / "2026-01-07" / "index.html").read_text()
    finally:
        running.stop()


@pytest.mark.parametrize("given", ["absolute", "relative", "linked snapshots"])
def test_a_file_that_was_there_saved_by_rename_and_removed_in_one_look_is_a_change(content_copy, tmp_path, given):
    """Made (by the rename) and removed in one look, it was taken for a scratch file, and the
    day it held stayed on the site until some other edit: also with --content given relative
    to the working folder (as by default), or a snapshots folder that is a link."""
    if given == "linked snapshots":
        (content_copy / "snapshots").rename(tmp_path / "kept")
        (content_copy / "snapshots").symlink_to(tmp_path / "kept")
    running = (Server(Path(content_copy.name), tmp_path / "site", cwd=content_copy.parent) if given == "relative"
               else Server(content_copy, tmp_path / "site"))
    try:
        del running.seen[:]  # the first build's lines
        snapshot = content_copy / "snapshots" / "2026-01-07.txt"
        saved = snapshot.with_name("2026-01-07.txt.tmp")
        saved.write_text(snapshot.read_text())
        os.replace(saved, snapshot)
        snapshot.unlink()
        changed = running.wait_for(r"digest: changed: (.*); rebuilding")
        assert "2026-01-07.txt" in changed.group(1).split(", "), running.seen
        running.wait_for(r"digest: built \d+ files", timeout=30)
        assert not (tmp_path / "site" / "dates" / "2026-01-07").exists()
    finally:
        running.stop()


@pytest.mark.parametrize("host", ["::1", "[::1]"])  # the address, or as URLs write it
def test_an_ipv6_host_is_served_or_refused_in_one_line(content_copy, tmp_path, host):
    import socket

    try:  # whether this machine has IPv6 on its loopback (a container may not)
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        ipv6 = True
    except OSError:
        ipv6 = False
    process = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--content", str(content_copy),
                                "--out", str(tmp_path / "site"), "--port", "0", "--host", host, "--no-search"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = process.stderr.readline()
        while line.startswith("digest: built"):
            line = process.stderr.readline()
        if not ipv6:
            assert process.wait(timeout=30) == 1 and line.startswith("digest: error: cannot serve on [::1]:0: ")
            return
        url = re.search(r"serving .* at (http://\[::1\]:\d+/)", line).group(1)
        with urllib.request.urlopen(url) as response:
            assert response.status == 200 and b"</html>" in response.read()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)
        process.stderr.close()


def test_a_new_path_of_base_url_is_told_with_the_new_address(content_copy, tmp_path):
    running = Server(content_copy, tmp_path / "site")
    try:
        site_yaml = content_copy / "site.yaml"
        site_yaml.write_text(site_yaml.read_text().replace("base_url: https://digest.example.org/",
                                                           "base_url: https://digest.example.org/other/"))
        now = running.wait_for(r"digest: serving at (http://127\.0\.0\.1:\d+/other/) now").group(1)
        assert now == running.url + "other/"
        with urllib.request.urlopen(now) as response:
            assert response.status == 200
    finally:
        running.stop()


def test_editors_leftovers_are_named_as_editors_name_them_and_no_real_file_is_one():
    from digest.cache import editor_leftover

    leftovers = [".#base.html", "#base.html#", "base.html~", ".base.html.swp", ".base.html.swo", ".base.html.swa",
                 ".~lock.notes.odt#", ".DS_Store", "Thumbs.db", "desktop.ini"]
    files = ["base.html", ".icon.svg", "favicon.svg", ".htaccess", ".nojekyll", "4913", "4913.txt", "lock#",
             "notes~.txt", ".swp", "style.css"]
    assert [name for name in leftovers if not editor_leftover(name)] == []
    assert [name for name in files if editor_leftover(name)] == []


def test_an_edit_saved_while_the_first_build_runs_is_built_once_it_is_over(tmp_path):
    """The watcher runs before the first build begins: an edit it would have missed left the site
    served without it until some other change."""
    from digest.serve import serve

    snapshot = tmp_path / "content" / "snapshots" / "2026-01-19.txt"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_text("as the build began")
    (tmp_path / "templates").mkdir()
    stop, reported, builds = threading.Event(), [], []

    def rebuild():
        builds.append(snapshot.read_text())
        if len(builds) == 1:
            snapshot.write_text("saved while the first build ran")
        else:
            stop.set()
        return "/"

    running = threading.Thread(target=serve, args=(tmp_path / "content", tmp_path / "site", tmp_path / "templates"),
                               kwargs={"host": "127.0.0.1", "port": 0, "rebuild": rebuild,
                                       "report": reported.append, "stop": stop})
    running.start()
    running.join(timeout=20)
    stop.set()
    running.join()
    assert builds == ["as the build began", "saved while the first build ran"]
    assert reported == ["digest: changed: 2026-01-19.txt; rebuilding"]


def run_serve_until(tmp_path, rebuild, out, *, seconds: float, after_start=None, content=None):
    """serve() in a thread, with ``rebuild``, stopped ``seconds`` after it says where it serves;
    ``after_start`` runs just after the thread starts.  Returns what serve reported."""
    from digest.serve import serve

    stop, reported = threading.Event(), []
    running = threading.Thread(target=serve, args=(content or tmp_path / "content", out, tmp_path / "templates"),
                               kwargs={"host": "127.0.0.1", "port": 0, "rebuild": rebuild,
                                       "report": reported.append, "stop": stop,
                                       "ready": lambda url: threading.Timer(seconds, stop.set).start()})
    running.start()
    if after_start:
        after_start()
    running.join(timeout=30)
    stop.set()
    running.join()
    return reported


def test_an_edit_saved_as_serve_starts_is_built_once(tmp_path):
    """The first build begins after the watcher's first answer: the changes in that answer are in it."""
    (tmp_path / "content").mkdir()
    (tmp_path / "templates").mkdir()
    edited, builds = tmp_path / "content" / "a.txt", []

    def rebuild():
        builds.append(edited.exists())
        return "/"

    def edit():
        time.sleep(0.05)
        edited.write_text("saved")

    reported = run_serve_until(tmp_path, rebuild, tmp_path / "site", seconds=1.5, after_start=edit)
    # Built again only where the first build began before the edit.
    assert builds in ([True], [False, True]), (builds, reported)


def test_a_site_built_inside_the_content_folder_is_no_change_at_start_nor_once_the_folder_is_replaced(tmp_path):
    """The folders on the way to the site, made by a build once the watcher ran, were a change:
    every start built twice, and every replaced content folder."""
    (tmp_path / "content").mkdir()
    (tmp_path / "templates").mkdir()
    out, builds = tmp_path / "content" / "build" / "site", []

    def rebuild():
        builds.append(1)
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("the site")
        return "/"

    def replace_content():
        time.sleep(1.5)
        (tmp_path / "content").rename(tmp_path / "content-old")
        (tmp_path / "content").mkdir()

    reported = run_serve_until(tmp_path, rebuild, out, seconds=4, after_start=replace_content)
    assert (reported, builds) == (["digest: changed: content; rebuilding"], [1, 1])


def test_content_and_templates_moved_away_and_back_are_built_again(tmp_path):
    """While nothing was there to watch the build failed, and once both were back none was made:
    the error stayed on the page."""
    from digest.errors import DigestError

    (tmp_path / "content").mkdir()
    (tmp_path / "templates").mkdir()
    builds = []

    def rebuild():
        there = (tmp_path / "content").is_dir() and (tmp_path / "templates").is_dir()
        builds.append(there)
        if not there:
            raise DigestError("no content folder")
        return "/"

    def move_away_and_back():
        time.sleep(1.5)
        for name in ("content", "templates"):
            (tmp_path / name).rename(tmp_path / f"{name}-away")
        time.sleep(1.5)
        for name in ("content", "templates"):
            (tmp_path / f"{name}-away").rename(tmp_path / name)

    reported = run_serve_until(tmp_path, rebuild, tmp_path / "site", seconds=6, after_start=move_away_and_back)
    assert builds == [True, False, True], (builds, reported)
    assert "digest: error: no content folder" in reported


def test_ctrl_c_as_the_server_starts_stops_serve(tmp_path, monkeypatch):
    """An interrupt before the server's thread ran left serve waiting for that thread to stop."""
    from digest.serve import serve

    (tmp_path / "content").mkdir()
    (tmp_path / "templates").mkdir()
    start = threading.Thread.start

    def interrupted(thread):
        if getattr(thread, "_target", None) is not None and thread._target.__name__ == "serve_forever":
            raise KeyboardInterrupt
        return start(thread)

    monkeypatch.setattr(threading.Thread, "start", interrupted)
    outcome = []

    def run():
        try:
            serve(tmp_path / "content", tmp_path / "site", tmp_path / "templates", host="127.0.0.1", port=0,
                  rebuild=lambda: "/", report=lambda line: None)
        except KeyboardInterrupt:
            outcome.append("stopped")

    running = threading.Thread(target=run, daemon=True)
    start(running)
    running.join(timeout=20)
    assert outcome == ["stopped"]


def test_a_content_folder_moved_away_with_the_site_inside_it_is_not_made_again(tmp_path):
    """A content folder made anew by serve, for the site's folders, is in the way of the one that
    comes back (a checkout, an ``mv``)."""
    from digest.errors import DigestError

    (tmp_path / "content").mkdir()
    (tmp_path / "templates").mkdir()
    out = tmp_path / "content" / "build" / "site"

    def rebuild():
        if not (tmp_path / "content").is_dir():
            raise DigestError("no content folder")
        out.mkdir(parents=True, exist_ok=True)
        return "/"

    def move_away():
        time.sleep(1.5)
        (tmp_path / "content").rename(tmp_path / "content-away")

    reported = run_serve_until(tmp_path, rebuild, out, seconds=4, after_start=move_away)
    assert not (tmp_path / "content").exists(), reported
    assert reported == ["digest: changed: content; rebuilding", "digest: error: no content folder"]


@pytest.mark.parametrize("name", ["content", ".content"])  # a hidden name too, whose changes are no build's else
def test_a_content_folder_removed_and_made_anew_at_once_is_watched_anew(tmp_path, name):
    """ext4 gives the new folder the old one's inode number at once: taken for the same folder, it
    was never watched, and no later edit was built."""
    (tmp_path / name).mkdir()
    (tmp_path / "templates").mkdir()
    snapshot, builds = tmp_path / name / "a.txt", []
    snapshot.write_text("first")

    def rebuild():
        builds.append(snapshot.read_text() if snapshot.exists() else None)
        return "/"

    def remove_make_anew_and_edit():
        time.sleep(1.5)
        shutil.rmtree(tmp_path / name)
        (tmp_path / name).mkdir()
        snapshot.write_text("made anew")
        time.sleep(2)
        snapshot.write_text("edited")

    reported = run_serve_until(tmp_path, rebuild, tmp_path / "site", seconds=6, after_start=remove_make_anew_and_edit,
                               content=tmp_path / name)
    assert builds[0] == "first" and builds[-1] == "edited", (builds, reported)
