"""digest add and digest fetch: filing snapshots under their list day, downloading from a local fixture server."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from conftest import tree, CONTENT, FIXTURES, run_cli
from digest.errors import DigestError
from digest.parse import parse_text_snapshot

API_FIXTURE = FIXTURES / "json" / "2026-01-19.json"


def snapshot_names(content: Path) -> list[str]:
    return sorted(p.name for p in (content / "snapshots").iterdir())


# --- add ----------------------------------------------------------------------------------------


def test_add_files_a_seed_under_its_list_day(tmp_path, content_copy, seed_dir):
    (content_copy / "snapshots" / "2025-11-03.txt").unlink()
    # The original capture name has no date: the other snapshots date it (DeepSeek-V3 shows "May 14, 2025").
    result = run_cli("add", seed_dir / "001_017177ce85f69ad9.txt", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert "Added" in result.stdout and "2025-11-03.txt" in result.stdout
    assert (content_copy / "snapshots" / "2025-11-03.txt").read_bytes() == \
        (seed_dir / "001_017177ce85f69ad9.txt").read_bytes()


def test_adding_the_same_snapshot_again_changes_nothing(content_copy, seed_dir):
    before = snapshot_names(content_copy)
    result = run_cli("add", seed_dir / "000_84d5e573882e4a31.txt", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert "Already there" in result.stdout
    assert snapshot_names(content_copy) == before


@pytest.mark.parametrize("encode", [lambda text: text.replace("\n", "\r\n").encode("utf-8"),
                                    lambda text: text.encode("utf-16")], ids=["CRLF", "UTF-16"])
def test_the_same_list_saved_with_other_line_ends_or_encoding_is_already_there(tmp_path, content_copy, encode):
    target = content_copy / "snapshots" / "2025-12-16.txt"
    original = target.read_bytes()
    capture = tmp_path / "capture.txt"
    capture.write_bytes(encode(original.decode("utf-8")))
    result = run_cli("add", capture, "--content", content_copy)
    assert result.returncode == 0 and "Already there" in result.stdout, result.stderr
    assert target.read_bytes() == original


@pytest.mark.parametrize("name", ["2025-12-16.TXT", "2025-12-16 (saved).txt"])
def test_the_same_list_already_there_under_another_name_is_already_there(tmp_path, content_copy, name):
    """The day's list under a name add would not give it: already there, not filed again beside it
    (then, the same list once more, refused as a different snapshot of the day)."""
    held = content_copy / "snapshots" / name
    (content_copy / "snapshots" / "2025-12-16.txt").rename(held)
    before = tree(content_copy / "snapshots")
    capture = tmp_path / "capture.txt"
    capture.write_bytes(held.read_bytes())
    for _ in range(2):
        result = run_cli("add", capture, "--content", content_copy)
        assert result.returncode == 0 and result.stdout.startswith(f"Already there: {held} "), result
    assert tree(content_copy / "snapshots") == before


def test_a_different_snapshot_of_the_same_day_is_refused_unless_forced(tmp_path, content_copy):
    changed = tmp_path / "capture.txt"
    text = (CONTENT / "snapshots" / "2025-12-16.txt").read_text()
    changed.write_text(text.replace("May 14 5", "May 14 6"))
    target = content_copy / "snapshots" / "2025-12-16.txt"
    original = target.read_bytes()
    result = run_cli("add", changed, "--date", "2025-12-16", "--content", content_copy)
    assert result.returncode == 1
    assert "already holds a different snapshot of 2025-12-16" in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == original
    result = run_cli("add", changed, "--date", "2025-12-16", "--force", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Replaced: {target} (")
    assert target.read_bytes() == changed.read_bytes()


def test_a_capture_of_far_fewer_papers_does_not_replace_a_days_snapshot_even_forced(tmp_path, content_copy):
    """A daily run fetches with --force; a download cut short must not take the place of the whole list."""
    target = content_copy / "snapshots" / "2026-01-19.txt"
    original = target.read_bytes()
    seventh = parse_text_snapshot(original.decode(), "x.txt").cards[6]
    short = tmp_path / "short.txt"
    short.write_text("\n".join(original.decode().split("\n")[:seventh.line - 1]))  # the header and six cards
    result = run_cli("add", short, "--date", "2026-01-19", "--force", "--content", content_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"digest: error: {short}: {target} holds 57 papers of 2026-01-19, and this snapshot only 6:")
    assert line.endswith("not replaced (is it complete?); remove the file first to replace it all the same")
    assert target.read_bytes() == original
    target.unlink()
    result = run_cli("add", short, "--date", "2026-01-19", "--content", content_copy)
    assert result.returncode == 0, result.stderr


def test_add_with_a_date_dates_the_new_snapshot_only_and_says_nothing_of_the_others(tmp_path, content_copy):
    """--date is for the file being added; those already in the folder are named by their day."""
    blocks = (CONTENT / "snapshots" / "2026-01-19.txt").read_text().split("\n\n")
    capture = tmp_path / "capture.txt"
    capture.write_text("\n\n".join(["Jan 20" if block == "Jan 19" else block for block in blocks]))
    result = run_cli("add", capture, "--date", "2026-01-20", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (content_copy / "snapshots" / "2026-01-20.txt").read_bytes() == capture.read_bytes()


def test_a_snapshot_with_far_fewer_papers_than_the_previous_one_gives_a_warning(tmp_path, content_copy):
    # A Jan 20 capture with only 3 of the 57 cards of Jan 19.
    blocks = (CONTENT / "snapshots" / "2026-01-19.txt").read_text().split("\n\n")
    header_end = blocks.index("Jan 19") + 1
    short = "\n\n".join(blocks[:header_end - 1] + ["Jan 20"] + blocks[header_end:header_end + 9]) + "\n"
    capture = tmp_path / "2026-01-20.txt"
    capture.write_text(short)
    result = run_cli("add", capture, "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "only 3 papers, against 57 on 2026-01-19" in result.stderr
    assert (content_copy / "snapshots" / "2026-01-20.txt").is_file()


@pytest.mark.parametrize("content, message", [
    (b"\x00\x01binary", "binary data"),
    (b"hello\n\nnothing here\n", "no list day"),
    (b'[{"paper": {"id": "2411.19146"}}]', "has no title"),
])
def test_add_refuses_what_is_not_a_snapshot(tmp_path, content_copy, content, message):
    bad = tmp_path / "2026-01-20.txt"
    bad.write_bytes(content)
    before = snapshot_names(content_copy)
    result = run_cli("add", bad, "--content", content_copy)
    assert result.returncode == 1
    assert message in result.stderr and str(bad) in result.stderr and "Traceback" not in result.stderr
    assert snapshot_names(content_copy) == before


@pytest.mark.parametrize("name, text, told", [
    ("2026-01-10.txt", "junk", "2026-01-10.txt:1: not a Daily Papers snapshot: no list of papers found (no list "
                               "day such as 'Dec 16')"),
    ("2026-01-12.txt", "Daily Papers\n\nJan 13\n\nA title\n\nAn abstract.\n",
     "2026-01-12.txt:3: list day 'Jan 13' contradicts the date 2026-01-12 given by the file name"),
])
def test_a_broken_snapshot_already_there_is_left_out_of_dating_the_new_one_not_a_reason_to_refuse_it(
        tmp_path, content_copy, name, text, told):
    """A daily fetch lost its download to an old file: the build stops on that file anyway."""
    broken = content_copy / "snapshots" / name
    broken.write_text(text, encoding="utf-8")
    new = tmp_path / "new.txt"  # no date in its name: the snapshots there give its year
    new.write_text((content_copy / "snapshots" / "2026-01-19.txt").read_text(encoding="utf-8")
                   .replace("\nJan 19\n", "\nJan 21\n", 1), encoding="utf-8")
    result = run_cli("add", new, "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"digest: warning: {content_copy / 'snapshots'}/{told}; left out when dating {new}\n"
    assert (content_copy / "snapshots" / "2026-01-21.txt").read_bytes() == new.read_bytes()
    assert broken.read_text(encoding="utf-8") == text


def test_add_or_fetch_into_a_folder_that_is_no_content_folder_is_refused_in_one_line(tmp_path, seed_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder, command in ((tmp_path / "contnet", "add"), (empty, "add"), (tmp_path / "contnet", "fetch")):
        arguments = [seed_dir / "000_84d5e573882e4a31.txt"] if command == "add" else ["--url", "http://127.0.0.1:9/"]
        result = run_cli(command, *arguments, "--content", folder)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == (f"digest: error: {folder}: not a content folder (no site.yaml in it): give "
                                 f"--content the folder that holds site.yaml and snapshots/\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"] and not any(empty.iterdir())


def test_add_a_json_snapshot_keeps_its_format(content_copy):
    result = run_cli("add", API_FIXTURE, "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert "2026-01-19.json" in snapshot_names(content_copy)


# --- fetch against a local fixture server --------------------------------------------------------


#: Redirects of FixtureAPI: path -> Location.
_REDIRECTS = {"/loop": "/loop", "/to-ftp": "ftp://127.0.0.1:9/daily_papers.json", "/to-closed": "http://127.0.0.1:9/x",
              "/to-user": "http://user:secret@127.0.0.1:9/x", "/to-day": "/api/daily_papers",
              "/to-zone": "http://[fe80::1%25\u00fc]/x"}  # written in UTF-8, as browsers read a Location


class FixtureAPI(http.server.BaseHTTPRequestHandler):
    """Serves the API fixture for 2026-01-19 and the latest list; other days 404; special paths fail."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        FixtureAPI.requests.append(self.path)
        parts = urlsplit(self.path)
        date = parse_qs(parts.query).get("date", [None])[0]
        if parts.path == "/api/daily_papers" and date in (None, "2026-01-19"):
            self._send(200, API_FIXTURE.read_bytes(), "application/json")
        elif parts.path == "/api/daily_papers":
            self._send(404, b'{"error": "no papers for this date"}', "application/json")
        elif parts.path == "/broken":
            self._send(500, b"Internal Server Error", "text/plain")
        elif parts.path == "/slow":
            time.sleep(2)
            self._send(200, b"[]", "application/json")
        elif parts.path == "/html":
            self._send(200, b"<p>maintenance</p>", "text/html")
        elif parts.path == "/trending":  # an answer of the hub's other lists, which have no list day
            self._send(200, json.dumps([{"paper": {"id": "2601.11111", "title": "Fast Things", "summary": "Fast.",
                                                   "publishedAt": "2026-01-10T10:00:00.000Z"}}]).encode(),
                       "application/json")
        elif parts.path == "/days/2026-01-19.json":  # a mirror of the API whose addresses name their days
            self._send(200, API_FIXTURE.read_bytes(), "application/json")
        elif parts.path == "/api/d%C3%A4ily_papers":  # an address of site.yaml beyond ASCII, as sent
            self._send(200, API_FIXTURE.read_bytes(), "application/json")
        elif parts.path in _REDIRECTS:  # /loop: a redirect to itself, without end
            self.send_response(302)
            self.send_header("Location", _REDIRECTS[parts.path].encode().decode("latin-1"))  # sent as UTF-8
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixtureAPI)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FixtureAPI.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def point_at(content: Path, url: str) -> None:
    site_yaml = content / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["fetch_url"] = url
    site_yaml.write_text(yaml.safe_dump(data))


def test_fetch_a_day_stores_it_under_its_list_day(content_copy, api):
    point_at(content_copy, f"{api}/api/daily_papers")
    result = run_cli("fetch", "--date", "2026-01-19", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert FixtureAPI.requests == ["/api/daily_papers?date=2026-01-19"]
    stored = content_copy / "snapshots" / "2026-01-19.json"
    assert stored.read_bytes() == API_FIXTURE.read_bytes()
    assert json.loads(run_cli("parse", stored, "--json").stdout)[0]["papers"][0]["arxiv_id"] == "2411.19146"


def test_fetch_without_a_date_takes_the_list_day_from_the_answer(content_copy, api):
    result = run_cli("fetch", "--url", f"{api}/api/daily_papers", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert FixtureAPI.requests == ["/api/daily_papers"]
    assert (content_copy / "snapshots" / "2026-01-19.json").is_file()



def test_fetch_names_the_file_by_the_answers_format_not_by_the_urls_query(content_copy, api):
    """A URL's query or fragment is no file ending: "?file=x.html" stored API JSON as .html."""
    for url in (f"{api}/api/daily_papers?file=x.html", f"{api}/api/daily_papers#.txt"):
        (content_copy / "snapshots" / "2026-01-19.json").unlink(missing_ok=True)
        result = run_cli("fetch", "--url", url, "--content", content_copy)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in (content_copy / "snapshots").iterdir() if "2026-01-19" in p.name) == [
            "2026-01-19.json", "2026-01-19.txt"]


def test_a_snapshot_added_from_the_snapshots_folder_is_not_its_own_obstacle(content_copy):
    """A trending page saved into snapshots/ needs --date; given it, the file's own copy there
    (which has no list day) made the add fail as if no --date had been given."""
    trending = content_copy / "snapshots" / "trend.md"
    trending.write_bytes((FIXTURES / "crawl" / "trending.md").read_bytes())
    result = run_cli("add", trending, "--date", "2025-12-17", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert (content_copy / "snapshots" / "2025-12-17.md").read_bytes() == trending.read_bytes()
    # A snapshot added from where it is stored already is there, under its day's name or another.
    same = content_copy / "snapshots" / "2026-01-19.txt"
    before = same.read_bytes()
    result = run_cli("add", same, "--content", content_copy)
    assert result.returncode == 0 and same.read_bytes() == before, result.stderr
    same.rename(content_copy / "snapshots" / "jan19.txt")
    result = run_cli("add", content_copy / "snapshots" / "jan19.txt", "--content", content_copy)
    assert result.returncode == 0 and "Already there" in result.stdout, result.stdout + result.stderr
    assert not same.exists()


def test_an_add_waits_for_another_command_writing_the_content_folder(content_copy, tmp_path):
    """Two adds of one day at once each found no snapshot of it, and the second replaced the
    first's without --force (or failed on the other's temporary file)."""
    from digest.output import pages_lock

    day = (content_copy / "snapshots" / "2026-01-19.txt").read_text().replace("\nJan 19\n", "\nJan 20\n", 1)
    (tmp_path / "2026-01-20.txt").write_text(day)
    with pages_lock(content_copy):
        adding = subprocess.Popen([sys.executable, "-m", "digest", "add", str(tmp_path / "2026-01-20.txt"),
                                   "--content", str(content_copy)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        time.sleep(1.5)
        assert adding.poll() is None and not (content_copy / "snapshots" / "2026-01-20.txt").exists()
    out, err = adding.communicate(timeout=60)
    assert adding.returncode == 0, err
    assert "another build or add of this content folder is running; waiting" in err
    assert (content_copy / "snapshots" / "2026-01-20.txt").read_text() == day


def test_an_add_on_a_file_system_without_locks_goes_on_without_one(content_copy, tmp_path, monkeypatch):
    """NFS without its lock service: add worked before it took the content folder's lock, and must still."""
    import errno

    import digest.output
    from digest.store import store_snapshot

    def no_locks(*args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(digest.output.fcntl, "flock", no_locks)
    day = (content_copy / "snapshots" / "2026-01-19.txt").read_bytes().replace(b"\nJan 19\n", b"\nJan 20\n", 1)
    stored = store_snapshot(content_copy, day, str(tmp_path / "2026-01-20.txt"), today=dt.date(2026, 1, 20),
                            warn=lambda message: None)
    assert stored.changed and (content_copy / "snapshots" / "2026-01-20.txt").read_bytes() == day


def test_fetch_and_add_refuse_a_list_day_after_today(tmp_path, content_copy, api):
    """Filed under a day to come, a snapshot would head the site and send its e-mail now: a date or
    year mistyped, or cards that point to a year that has not come (an old list saved undated)."""
    snapshots = tree(content_copy / "snapshots")
    saved = tmp_path / "9999-12-31.txt"
    saved.write_text("Daily Papers\n\nDec 31\n\nA title\n\nAn abstract.\n")
    result = run_cli("add", saved, "--content", content_copy, "--date", "2026-01-20")
    assert result.returncode == 1 and result.stderr.splitlines()[-1].startswith(
        f"digest: error: {saved}: the list day 9999-12-31, from the file name, is after today ("), result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "); not added: rename the file by its list day (its name's date comes before --date)"), result.stderr
    assert result.stderr.startswith(f"digest: warning: {saved}: --date 2026-01-20 is")  # still said, first
    saved = tmp_path / "list.txt"
    saved.write_text("Daily Papers\n\nJan 20\n\nA title\n\nAn abstract.\n")
    result = run_cli("add", saved, "--content", content_copy, "--date", "9999-01-20")
    assert result.returncode == 1 and re.fullmatch(
        rf"digest: error: {re.escape(str(saved))}: the list day 9999-01-20, from --date, is after today "
        r"\(\d{4}-\d\d-\d\d\); not added", result.stderr.splitlines()[-1]), result.stderr
    assert tree(content_copy / "snapshots") == snapshots
    # SOURCE_DATE_EPOCH pins what a build writes, not the day: a day after it but not after the
    # machine's date is stored, with the warning a build gives.
    before = {"SOURCE_DATE_EPOCH": "1768608000"}  # 2026-01-17: the fixture's day, 2026-01-19, is to come
    result = run_cli("fetch", "--url", f"{api}/api/daily_papers", "--content", content_copy, env=before)
    assert result.returncode == 0 and result.stderr.splitlines() == [
        f"digest: warning: {api}/api/daily_papers: the list day 2026-01-19, from the snapshot, is after today "
        f"(2026-01-17): is a date mistyped?"], result.stderr
    assert (content_copy / "snapshots" / "2026-01-19.json").is_file()


def test_an_old_list_saved_undated_whose_cards_point_to_a_year_to_come_is_refused(tmp_path, content_copy):
    """Cards dated 2025 and 2024 in full say the list is not of those years: Dec 16 of 2026 is to come."""
    from digest.store import store_snapshot

    data = ("Daily Papers\n\nDec 16\n\nA title\n\nAn abstract.\n\n  • 2 authors\n·\nMay 14, 2025 3\n\n"
            "Another\n\nIts abstract.\n\n  • 2 authors\n·\nNov 7, 2024\n").encode()
    snapshots = tree(content_copy / "snapshots")
    warnings = []
    for today, clock in ((dt.date(2026, 12, 5), dt.date(2026, 12, 5)), (dt.date(2026, 1, 1), dt.date(2026, 12, 5))):
        with pytest.raises(DigestError) as caught:
            store_snapshot(content_copy, data, "saved.txt", today=today, clock=clock, warn=warnings.append)
        assert str(caught.value) == ("saved.txt: the list day 2026-12-16, from the snapshot, is after today "
                                     "(2026-12-05); not added: give its list day with --date")
    assert tree(content_copy / "snapshots") == snapshots and not any("after today" in w for w in warnings)
    # A day the hub's clock has reached, in another time zone, is no day to come.
    stored = store_snapshot(content_copy, data, "saved.txt", today=dt.date(2026, 12, 15), clock=dt.date(2026, 12, 15),
                            warn=warnings.append)
    assert stored.path.name == "2026-12-16.txt"


@pytest.mark.parametrize("path, extra, message", [
    ("/api/daily_papers", ["--date", "2026-01-20"], "answered 404 Not Found"),
    ("/broken", [], "answered 500 Internal Server Error"),
    ("/slow", ["--timeout", "0.5"], "within 0.5 s"),
    ("/html", [], "not a Daily Papers snapshot"),
    # urllib's reason goes on in lines of its own, which were shown as "\\n" in the one line
    ("/loop", [], "answered 302 The HTTP server returned a redirect error that would lead to an infinite loop. for"),
    # urllib follows a redirect to ftp: too (and went on to an internal error), and to a user name; the
    # errors named the address given, which answered, not the one that failed.
    ("/to-ftp", [], "/to-ftp redirected to an address digest does not fetch: can only fetch http(s) URLs, not "
                    "'ftp://127.0.0.1:9/daily_papers.json'"),
    ("/to-user", [], "/to-user redirected to an address digest does not fetch: cannot fetch a URL with a user name"),
    ("/to-closed", [], "cannot reach http://127.0.0.1:9/x (redirected from http://127.0.0.1:"),
    # urllib's own error for an address that is no URL named the address given, not the redirect
    ("/to-zone", [], "/to-zone redirected to an address digest does not fetch: "
                     "'http://[fe80::1%25\u00fc]/x' (fe80::1%25\u00fc is no IPv6 address a request can carry)"),
])
def test_fetch_failures_are_clear_and_store_nothing(content_copy, api, path, extra, message):
    before = snapshot_names(content_copy)
    result = run_cli("fetch", "--url", f"{api}{path}", *extra, "--content", content_copy)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr and "\\n" not in lines[0]
    assert snapshot_names(content_copy) == before


def test_a_redirect_written_in_utf8_goes_to_its_host_in_ascii_as_fetch_url_does():
    """http.client reads a Location as Latin-1 and urllib percent-encodes it: the host of
    'http://b\u00fccher.example/x' became b%C3%BCcher.example, which no resolver knows."""
    import http.client
    import io
    import urllib.request
    from digest.fetch import _CheckedRedirects

    opened = []

    class Opener:
        def open(self, request, timeout=None):
            opened.append(request.full_url)

    redirects = _CheckedRedirects()
    redirects.parent = Opener()
    for location in ("http://b\u00fccher.example/x?q=\u00e4", "/p\u00e4ge", "/d\u00e4ta x"):
        headers = http.client.HTTPMessage()
        headers["Location"] = location.encode().decode("latin-1")
        request = urllib.request.Request("http://127.0.0.1:9/a")
        request.timeout = 1
        redirects.http_error_302(request, io.BytesIO(b""), 302, "Found", headers)
    # A space, which fetch_url may not hold, urllib percent-encodes in a redirect, as before.
    assert opened == ["http://xn--bcher-kva.example/x?q=%C3%A4", "http://127.0.0.1:9/p%C3%A4ge",
                      "http://127.0.0.1:9/d%C3%A4ta%20x"]


def test_fetch_of_an_answer_without_a_list_day_says_to_give_fetch_its_date(content_copy, api):
    """It said to name the file, or give --date to digest add or parse: fetch names no file."""
    result = run_cli("fetch", "--url", f"{api}/trending", "--content", content_copy)
    assert (result.returncode, result.stderr) == (1, f"digest: error: {api}/trending:1: the snapshot shows no list day "
                                                     f"(a trending page has none): give --date to digest fetch\n")
    result = run_cli("fetch", "--url", f"{api}/trending", "--date", "2026-01-10", "--content", content_copy)
    assert result.returncode == 0 and (content_copy / "snapshots" / "2026-01-10.json").is_file(), result.stderr


def test_fetch_of_an_address_naming_its_day_tells_of_the_address_not_a_file(content_copy, api):
    """It said to rename the file: a fetch names none."""
    result = run_cli("fetch", "--url", f"{api}/days/2026-01-19.json", "--date", "2026-01-20", "--content", content_copy)
    url = f"{api}/days/2026-01-19.json?date=2026-01-20"
    assert result.returncode == 0 and result.stderr == (
        f"digest: warning: {url}: --date 2026-01-20 is not used: the address gives 2026-01-19, which comes first "
        f"(give --url an address that names no day to change it)\n"), result.stderr


def test_fetch_from_a_closed_port_is_a_clear_error(content_copy):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("fetch", "--url", f"http://127.0.0.1:{port}/api/daily_papers", "--content", content_copy)
    assert result.returncode == 1
    assert f"cannot reach http://127.0.0.1:{port}/api/daily_papers" in result.stderr


def test_fetch_refuses_non_http_urls(content_copy):
    result = run_cli("fetch", "--url", "file:///etc/passwd", "--content", content_copy)
    assert result.returncode == 2 and "--url: can only fetch http(s) URLs" in result.stderr  # a bad command line


@pytest.mark.parametrize("url, message", [
    ("http://[::1/", "not a URL: 'http://[::1/' (Invalid IPv6 URL)"),
    ("http://127.0.0.1:99999/", "not a URL: 'http://127.0.0.1:99999/' (Port out of range 0-65535)"),
])
@pytest.mark.parametrize("date", [[], ["--date", "2026-01-19"]])
def test_fetch_refuses_a_malformed_url_in_one_line(content_copy, url, message, date):
    result = run_cli("fetch", "--url", url, "--timeout", "1", *date, "--content", content_copy)
    assert result.returncode == 2 and result.stderr == f"digest: error: --url: {message}\n"


@pytest.mark.parametrize("url, message", [
    ("http:///api/daily_papers", "cannot fetch 'http:///api/daily_papers': it names no host"),
    ("http://:80/api/daily_papers", "cannot fetch 'http://:80/api/daily_papers': it names no host"),
    # told without the password: messages end up in the logs of the job that fetches
    ("https://user:s3cret@127.0.0.1:9/api", "cannot fetch a URL with a user name or password in it (the hub's API "
                                             "needs none)"),
])
def test_fetch_refuses_a_url_without_a_host_or_with_a_password_for_what_it_is(content_copy, url, message):
    result = run_cli("fetch", "--url", url, "--timeout", "1", "--content", content_copy)
    assert result.returncode == 2 and result.stderr == f"digest: error: --url: {message}\n"


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "1e999", "1e10", "86401", "0.05", "abc"])
def test_a_timeout_out_of_the_range_site_yaml_takes_is_a_bad_command_line(content_copy, timeout):
    result = run_cli("fetch", "--url", "http://127.0.0.1:9/", "--timeout", timeout, "--content", content_copy)
    assert result.returncode == 2 and result.stderr == (
        f"digest: error: argument --timeout: not a number of seconds from 0.1 to 86,400: {timeout!r} "
        f"(see 'digest fetch --help')\n")


def test_a_url_with_a_line_break_is_refused_in_one_line_before_anything_is_sent(content_copy):
    result = run_cli("fetch", "--url", "http://127.0.0.1:9/\nx", "--content", content_copy)
    assert result.returncode == 2 and result.stderr == (
        "digest: error: --url: cannot fetch 'http://127.0.0.1:9/\\nx': it holds a space or a line break\n")


def test_the_day_goes_into_the_query_before_a_fragment(content_copy, api):
    point_at(content_copy, f"{api}/api/daily_papers?lang=en#top")
    result = run_cli("fetch", "--date", "2026-01-19", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert FixtureAPI.requests == ["/api/daily_papers?lang=en&date=2026-01-19"]


@pytest.mark.parametrize("refused", [None, "gone@example.net"])
def test_the_daily_recipe_runs_end_to_end(tmp_path, content_copy, api, refused):
    """The script the README's cron line and CI workflow call: fetch, build, send; run again (a
    day the hub has no new list), it sends the same day's e-mail no second time, also after a
    send that reached some recipients and not others (which fails the first run)."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == refused:
                return "550 5.1.1 No such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            received.append((list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        site_yaml = content_copy / "site.yaml"
        data = yaml.safe_load(site_yaml.read_text())
        data["fetch_url"] = f"{api}/api/daily_papers"
        data["email"].update({"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none"})
        site_yaml.write_text(yaml.safe_dump(data))
        workdir = content_copy.parent
        script = Path(__file__).resolve().parent.parent / "examples" / "daily.sh"
        env = {**os.environ, "DIGEST": f"{sys.executable} -m digest",
               "DIGEST_TO": "readers@example.net" + (f" {refused}" if refused else "")}
        result, again = (subprocess.run(["sh", str(script)], cwd=workdir, env=env, capture_output=True, text=True,
                                        timeout=180) for _ in range(2))
    finally:
        controller.stop()
    if refused:
        assert result.returncode == 3 and result.stderr.splitlines()[-1].endswith(
            f"refused 1 of 2 recipients: {refused} (550 5.1.1 No such user here); the e-mail went to "
            f"readers@example.net"), result.stderr
    else:
        assert result.returncode == 0, result.stdout + result.stderr
    assert again.returncode == 0 and "the e-mail of 2026-01-19 was sent before" in again.stderr, again.stderr
    assert (content_copy / ".newsletter-sent").read_text() == "2026-01-19\n"
    assert (content_copy / "snapshots" / "2026-01-19.json").is_file()
    assert (workdir / "site" / "papers" / "2411.19146" / "index.html").is_file()
    assert len(received) == 1 and received[0][0] == ["readers@example.net"]
    assert b"Subject: Trending papers" in received[0][1]


class _DailyRun:
    """examples/daily.sh against the fixture API and a local SMTP server that records what it
    takes (``slow``: it takes a message only after that many seconds, once ``taking`` is set)."""

    def __init__(self, content: Path, api: str, *, slow: float = 0):
        import asyncio
        from aiosmtpd.controller import Controller

        self.received: list[bytes] = []
        self.taking = threading.Event()
        run = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                run.taking.set()
                await asyncio.sleep(slow)
                run.received.append(envelope.original_content)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.content = content
        data = yaml.safe_load((content / "site.yaml").read_text())
        data["fetch_url"] = f"{api}/api/daily_papers"
        data["email"].update({"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none",
                              "smtp_timeout": 20})
        (content / "site.yaml").write_text(yaml.safe_dump(data))
        self.env = {**os.environ, "DIGEST": f"{sys.executable} -m digest", "DIGEST_TO": "readers@example.net"}

    def start(self, *arguments: str) -> subprocess.Popen:
        script = Path(__file__).resolve().parent.parent / "examples" / "daily.sh"
        return subprocess.Popen(["sh", str(script), *arguments], cwd=self.content.parent, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def run(self, *arguments: str) -> subprocess.CompletedProcess:
        process = self.start(*arguments)
        stdout, stderr = process.communicate(timeout=180)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def subjects(self) -> list[str]:
        import email
        import email.policy

        return [email.message_from_bytes(data, policy=email.policy.default)["Subject"] for data in self.received]


def test_the_daily_recipe_sends_a_day_it_could_not_send_before_the_newer_ones(content_copy, api):
    """A day whose e-mail failed (the SMTP server down) was never sent: the next run sent only
    the newest day."""
    daily = _DailyRun(content_copy, api)
    (content_copy / ".newsletter-sent").write_text("2025-12-16\n")
    down = daily.run("send")  # the SMTP server is not started yet: nothing taken
    assert down.returncode == 1 and "cannot reach the SMTP server" in down.stderr, down.stderr
    assert (content_copy / ".newsletter-sent").read_text() == "2025-12-16\n"
    daily.controller.start()
    try:
        up = daily.run("send")
    finally:
        daily.controller.stop()
    assert up.returncode == 0, up.stderr
    subjects = daily.subjects()  # the day missed first, then the newest
    assert len(subjects) == 2 and "7 Jan 2026" in subjects[0] and "19 Jan 2026" in subjects[1], subjects
    assert (content_copy / ".newsletter-sent").read_text() == "2026-01-19\n"


def test_the_daily_recipe_fetches_a_day_it_could_not_fetch_on_its_next_run(content_copy, api):
    """A day the API was down on was lost from the site for good: no run asked for it again."""
    daily = _DailyRun(content_copy, api)
    daily.env.pop("DIGEST_TO")
    point_at(content_copy, f"{api}/broken")
    failed = daily.run("build")
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert failed.returncode == 1 and f"the list of {today} is not fetched" in failed.stderr, failed.stderr
    assert (content_copy / ".fetch-missed").read_text() in (f"{today} 1\n", f"{dt.date.fromisoformat(today) - dt.timedelta(days=1)} 1\n")
    # As if these had been the days missed: one the API has, one it has not (a day without a
    # list), asked for a week of runs already, and junk.
    # Written on Windows (CRLF), a count that is no number, no line break at the end.
    (content_copy / ".fetch-missed").write_bytes(b"2026-01-19 2\r\n2026-01-18 7\r\nlatest\r\n2026-01-16 08\n"
                                                 b"2026-01-17 x")
    point_at(content_copy, f"{api}/api/daily_papers")
    (content_copy / ".newsletter-sent").write_text("2026-01-20\n")  # a newer day's e-mail went meanwhile
    FixtureAPI.requests = []
    caught_up = daily.run("build")
    assert caught_up.returncode == 0, caught_up.stderr  # what came of the days missed fails no run
    assert FixtureAPI.requests[:4] == ["/api/daily_papers?date=2026-01-19", "/api/daily_papers?date=2026-01-18",
                                       "/api/daily_papers?date=2026-01-16", "/api/daily_papers?date=2026-01-17"]
    assert "giving up on the list of 2026-01-18 after 7 runs" in caught_up.stderr
    assert "'latest' is no day (YYYY-MM-DD); left out" in caught_up.stderr
    assert "the list of 2026-01-19 came after the e-mail of 2026-01-20 went: its own is not sent" in caught_up.stderr
    assert (content_copy / ".fetch-missed").read_text() == "2026-01-16 2\n2026-01-17 2\n"  # asked again next time


def test_a_daily_run_whose_build_fails_fails_and_sends_nothing(content_copy, api, tmp_path):
    """A failed build exited 0 (set -e holds not in a function called with ||), and the e-mail
    went out with links to pages never built."""
    daily = _DailyRun(content_copy, api)
    (content_copy / ".newsletter-sent").write_text("2026-01-07\n")
    (content_copy.parent / "site").write_text("not a site")  # the build refuses to replace it
    daily.controller.start()
    try:
        result = daily.run()
    finally:
        daily.controller.stop()
    assert result.returncode == 1 and "refusing to replace" in result.stderr, result.stderr
    assert daily.received == [] and (content_copy / ".newsletter-sent").read_text() == "2026-01-07\n"


@pytest.mark.parametrize("recorded, told", [
    ("latest", "holds 'latest', no day (YYYY-MM-DD)"), ("2026-19-39", "holds '2026-19-39', no day (YYYY-MM-DD)"),
    ("2062-01-19", "holds 2062-01-19, after the newest snapshot, 2026-01-19")])
def test_a_daily_run_with_no_day_in_its_record_of_days_sent_says_so(content_copy, api, recorded, told):
    """These sorted after every day: nothing was sent ever again, without a word."""
    daily = _DailyRun(content_copy, api)
    (content_copy / ".newsletter-sent").write_text(f"{recorded}\n")
    result = daily.run("send")
    assert result.returncode == 1 and result.stderr == (
        f"daily.sh: content/.newsletter-sent {told}: write the last day sent into it\n")


def test_two_daily_runs_at_once_send_the_day_once(content_copy, api):
    daily = _DailyRun(content_copy, api, slow=3)
    daily.controller.start()
    try:
        first = daily.start("send")
        assert daily.taking.wait(60)
        second = daily.run("send")  # waits for the first, then finds the day sent
        first.communicate(timeout=60)
    finally:
        daily.controller.stop()
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert len(daily.received) == 1 and "the e-mail of 2026-01-19 was sent before" in second.stderr


def test_a_daily_run_stopped_while_sending_records_the_day_it_may_have_sent(content_copy, api):
    """A time limit's SIGTERM stopped the script with digest: the day was not recorded, and the
    next run sent it again."""
    daily = _DailyRun(content_copy, api, slow=3)
    daily.controller.start()
    try:
        run = daily.start("send")
        assert daily.taking.wait(60)
        os.killpg(run.pid, signal.SIGTERM)  # as a cron or CI time limit does: the whole group
        _, stderr = run.communicate(timeout=60)
        again = daily.run("send")
    finally:
        daily.controller.stop()
    assert run.returncode == 143 and "may have gone to readers@example.net" in stderr, stderr
    assert (content_copy / ".newsletter-sent").read_text() == "2026-01-19\n"
    assert "was sent before" in again.stderr and len(daily.received) <= 1


def test_the_example_workflow_runs_the_daily_recipe():
    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "publish.yml").read_text())
    steps = workflow["jobs"]["publish"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "sh examples/daily.sh build" in runs
    # The e-mail goes out once the site is deployed: its links lead to pages that are there.
    deploy = next(index for index, step in enumerate(steps) if step.get("id") == "deploy")
    assert runs.index("sh examples/daily.sh send") > deploy > runs.index("sh examples/daily.sh build")
    # Credentials come from the CI's secret store, never from files.
    assert steps[runs.index("sh examples/daily.sh send")]["env"]["DIGEST_SMTP_PASSWORD"] == \
        "${{ secrets.DIGEST_SMTP_PASSWORD }}"
    assert any(step.get("with", {}).get("path") == "site" for step in steps)
    # A day sent to some recipients and not to others fails the send step (exit status 3), and
    # is still recorded and kept: a run on a fresh checkout must not send it again.
    remember = next(step for step in steps if ".newsletter-sent" in step.get("run", ""))
    assert steps.index(remember) > runs.index("sh examples/daily.sh send")
    assert remember.get("if") == "${{ always() }}"  # a time limit cancels the job while it sends


def _fetch_from(answer, content: Path, *, timeout: float):
    """``digest fetch`` from a server on 127.0.0.1 that reads the request and then hands its one
    connection to ``answer``."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def serve_once() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                answer(connection)

        thread = threading.Thread(target=serve_once, daemon=True)
        thread.start()
        result = run_cli("fetch", "--url", f"http://127.0.0.1:{port}/", "--date", "2026-01-21",
                         "--timeout", str(timeout), "--content", content, timeout=60)
        thread.join(timeout=10)
    return result


@pytest.mark.parametrize("answer", [b"GARBAGE\r\n\r\n", b"HTTP/9.9 200 OK\r\n\r\n",
                                    b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
                                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
def test_fetch_from_a_server_that_does_not_speak_http_is_a_clear_error(content_copy, answer):
    result = _fetch_from(lambda connection: connection.sendall(answer), content_copy, timeout=5)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("digest: error: ") and "internal error" not in line, line


def _trickle(connection: socket.socket, head: bytes, body: bytes) -> None:
    """Send ``head``, then ``body`` a byte every 0.2 s, until the client hangs up."""
    try:
        connection.sendall(head)
        for index in range(len(body)):
            connection.sendall(body[index:index + 1])
            time.sleep(0.2)
    except OSError:
        pass


@pytest.mark.parametrize("kind", ["a byte at a time", "100 Continue for ever"])
def test_fetch_gives_up_on_a_server_that_never_finishes_within_the_timeout(content_copy, kind):
    """Each read comes well within the timeout; the whole answer never does."""
    def answer(connection: socket.socket) -> None:
        if kind == "a byte at a time":
            _trickle(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"[" * 1000)
        else:
            _trickle(connection, b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)

    started = time.monotonic()
    result = _fetch_from(answer, content_copy, timeout=2)
    took = time.monotonic() - started
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "no complete answer from http://127.0.0.1" in line and "within 2 s" in line, line
    assert took < 15, took
    assert not (content_copy / "snapshots" / "2026-01-21.json").exists()


def test_adding_a_saved_page_whose_year_is_assumed_names_the_html_file_to_write_and_counts_in_words(
        tmp_path, content_copy):
    page = tmp_path / "trending.html"
    page.write_text('<!doctype html><html><head><meta charset="utf-8"><title>Daily Papers - Hugging Face</title>'
                    '</head><body><main><header><h1>Daily Papers</h1><div>Jan 22</div></header><section><article>'
                    '<h3><a href="/papers/2601.00011">A Brand New Paper on Kernel Fusion</a></h3>'
                    '<div><a href="/nvidia">NVIDIA</a> · <span>Jan 15</span></div></article></section></main>'
                    '</body></html>')
    result = run_cli("add", page, "--content", content_copy, env={"SOURCE_DATE_EPOCH": "1769904000"})  # 2026-02-01
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"digest: warning: {page}:1: assumed the list day Jan 22 is in 2026; name the file "
                             f"YYYY-MM-DD.html or give --date to digest add or parse\n")
    assert result.stdout.endswith("(html snapshot of 2026-01-22, 1 paper)\n"), result.stdout


def test_fetch_of_a_chunked_answer_with_a_chunk_size_that_is_no_number_is_not_valid_http(content_copy):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    result = _fetch_from(lambda connection: connection.sendall(head + b"zz\r\n[]\r\n0\r\n\r\n"), content_copy,
                         timeout=5)
    [line] = result.stderr.splitlines()
    assert result.returncode == 1 and line.endswith("/?date=2026-01-21 is not valid HTTP (a chunk size that is no "
                                                    "number)"), line


def test_fetch_of_a_chunked_answer_cut_short_is_incomplete_and_stores_nothing(content_copy):
    body = API_FIXTURE.read_bytes()[:100]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n" % 100_000 + body  # the chunk says 100,000 bytes; the connection closes after 100
    result = _fetch_from(lambda connection: connection.sendall(head + chunk), content_copy, timeout=5)
    [line] = result.stderr.splitlines()
    assert result.returncode == 1 and line.startswith("digest: error: download from http://127.0.0.1:"), line
    assert line.endswith("/?date=2026-01-21 incomplete: the server closed the connection before the end of the "
                         "answer"), line
    assert not (content_copy / "snapshots" / "2026-01-21.json").exists()


def test_fetch_of_a_day_the_answer_contradicts_blames_the_date_option_not_a_file_name(content_copy):
    body = API_FIXTURE.read_bytes()  # the list of 2026-01-19, asked for as 2026-01-21
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    result = _fetch_from(lambda connection: connection.sendall(head + body), content_copy, timeout=5)
    [line] = result.stderr.splitlines()
    assert result.returncode == 1 and line.startswith("digest: error: http://127.0.0.1:"), result.stderr
    assert line.endswith("/?date=2026-01-21:1: list day 'Jan 19, 2026' contradicts the date 2026-01-21 given by "
                         "--date"), line
    assert not (content_copy / "snapshots" / "2026-01-21.json").exists()


@pytest.mark.parametrize("encoding", [b"", b"Content-Encoding: gzip\r\n"])
def test_fetch_of_an_answer_shorter_than_its_content_length_is_incomplete_and_stores_nothing(content_copy, encoding):
    """The Content-Length counts the bytes sent, compressed or not."""
    body = API_FIXTURE.read_bytes()[:100]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + encoding + b"Content-Length: 100000\r\n\r\n"
    result = _fetch_from(lambda connection: connection.sendall(head + body), content_copy, timeout=5)
    [line] = result.stderr.splitlines()
    assert result.returncode == 1 and line.startswith("digest: error: download from http://127.0.0.1:"), line
    assert line.endswith("/?date=2026-01-21 incomplete: 100 of 100,000 bytes (the server closed the connection)"), line
    assert not (content_copy / "snapshots" / "2026-01-21.json").exists()


@pytest.mark.parametrize("snapshots", ["a link to no folder", "not a folder"])
def test_add_into_a_snapshots_folder_that_is_none_says_what_is_there(tmp_path, content_copy, seed_dir, snapshots):
    """mkdir's "File exists" pointed the wrong way."""
    folder = content_copy / "snapshots"
    shutil.rmtree(folder)
    if snapshots == "a link to no folder":
        folder.symlink_to(tmp_path / "nowhere")
    else:
        folder.write_text("x\n")
    result = run_cli("add", seed_dir / "000_84d5e573882e4a31.txt", "--content", content_copy)
    assert result.returncode == 1 and result.stderr == (
        f"digest: error: {folder}: cannot add the snapshot: the snapshots folder is {snapshots}\n"), result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_fetch_follows_a_redirect_and_sends_an_address_beyond_ascii_as_http_carries_it(content_copy, api):
    """http.client sends ASCII only: a fetch_url with "ä" in its path failed with "'ascii' codec can't encode"."""
    result = run_cli("fetch", "--url", f"{api}/to-day", "--date", "2026-01-19", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    point_at(content_copy, f"{api}/api/d\u00e4ily_papers")
    (content_copy / "snapshots" / "2026-01-19.json").unlink()
    result = run_cli("fetch", "--date", "2026-01-19", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert FixtureAPI.requests[-1] == "/api/d%C3%A4ily_papers?date=2026-01-19"
