"""The daily e-mail: exported files, message structure, size budget, and delivery to a real SMTP server."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import functools
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings, strategies as st
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup

from conftest import ARTIFACTS, BUNDLED, CONTENT, FIXTURES, lengthen_first_abstract, run_cli
from digest.build import load, template_environment
from digest.config import EmailConfig
from digest.errors import DigestError, PartlySent
from digest.config import recipients_of
from digest.newsletter import render_newsletter, send_message

DAYS = [name.removesuffix(".txt") for name in BUNDLED]


def read_message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def parts_of(message) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    return parts[0].get_content(), parts[1].get_content()


def titles_on(site: Path, day: str) -> list[str]:
    soup = BeautifulSoup((site / "dates" / day / "index.html").read_text(), "html.parser")
    return [a.get_text(" ", strip=True) for a in soup.select("ol.papers .paper-title a")]


@pytest.mark.parametrize("day", DAYS)
def test_every_day_has_an_email_with_both_parts_and_every_title(built_site, day):
    message = read_message(built_site / "email" / f"{day}.eml")
    text, html = parts_of(message)
    titles = titles_on(built_site, day)
    assert titles, "the day page lists papers"
    flat_text = " ".join(text.split())
    html_text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
    for title in titles:
        assert title in flat_text, f"{title!r} missing from the text part"
        assert title in html_text, f"{title!r} missing from the HTML part"
    # The message uses CRLF line ends, as SMTP wants; the exported files use LF.
    assert (built_site / "email" / f"{day}.html").read_text() == html.replace("\r\n", "\n")
    assert (built_site / "email" / f"{day}.txt").read_text() == text.replace("\r\n", "\n")


def test_headers_come_from_the_configuration_and_the_list_day(built_site):
    config = yaml.safe_load((CONTENT / "site.yaml").read_text())["email"]
    message = read_message(built_site / "email" / "2026-01-19.eml")
    assert message["Subject"] == "Trending papers — 19 Jan 2026: 57 papers, 49 new"
    assert message["From"] == config["from"]
    assert message["To"] == config["to"]
    assert message["Reply-To"] == config["reply_to"]
    assert message["List-Unsubscribe"] == f"<{config['unsubscribe_url']}>"
    assert message["Date"].datetime.isoformat() == "2026-01-19T12:00:00+00:00"
    # a mail client shows the list day in its own time zone, from Hawaii to New Zealand in winter
    for hours in (-11, -8, -5, 0, 1, 9, 11):
        local = message["Date"].datetime.astimezone(dt.timezone(dt.timedelta(hours=hours)))
        assert local.date() == dt.date(2026, 1, 19), hours
    assert re.fullmatch(r"<digest\.2026-01-19\.[0-9a-f]{16}@digest\.example\.org>", message["Message-ID"])


@pytest.mark.parametrize("url, header", [
    ("https://news.example.org/unsubscribe?list=trending-papers&token=" + "3f2a9c1e" * 10,) * 2,
    ("https://news.example.org/désabonner?t=1", "https://news.example.org/d%C3%A9sabonner?t=1"),
    ("https://bücher.example:8443/ab?u=ü", "https://xn--bcher-kva.example:8443/ab?u=%C3%BC"),
    ("mailto:stop@bücher.example?subject=stop", "mailto:stop@xn--bcher-kva.example?subject=stop"),
])
def test_the_unsubscribe_header_is_the_url_in_angle_brackets_whatever_its_length(content_copy, tmp_path, url, header):
    """As RFC 2369 clients look for it: a long URL was written as encoded words, which they do not read."""
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["email"]["unsubscribe_url"] = url
    site_yaml.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = run_cli("email", "2026-01-07", "--content", content_copy, "--out", tmp_path / "out", "-q")
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "out" / "2026-01-07.eml").read_bytes()
    assert f"\r\nList-Unsubscribe: <{header}>\r\n".encode("ascii") in data.split(b"\r\n\r\n")[0] + b"\r\n"
    assert read_message(tmp_path / "out" / "2026-01-07.eml")["List-Unsubscribe"] == f"<{header}>"


def test_one_click_unsubscribe_adds_its_header_when_asked(content_copy, tmp_path):
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    for one_click in (False, True):
        data["email"]["one_click_unsubscribe"] = one_click
        site_yaml.write_text(yaml.safe_dump(data, allow_unicode=True))
        result = run_cli("email", "2026-01-07", "--content", content_copy, "--out", tmp_path / "out", "-q")
        assert result.returncode == 0, result.stderr
        message = read_message(tmp_path / "out" / "2026-01-07.eml")
        assert message["List-Unsubscribe"] == f"<{data['email']['unsubscribe_url']}>"
        assert message["List-Unsubscribe-Post"] == ("List-Unsubscribe=One-Click" if one_click else None)


@pytest.mark.parametrize("base_url, domain", [("http://[2001:db8::1]:8080/d/", "localhost"),
                                              ("http://192.0.2.1/", "localhost"),
                                              ("https://news.example.org:8443/d/", "news.example.org")])
def test_the_message_id_names_the_sites_host_or_localhost_for_an_address(tmp_path, content_copy, base_url, domain):
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    (content_copy / "site.yaml").write_text(yaml.safe_dump({**settings, "base_url": base_url}))
    result = run_cli("email", "latest", "--content", content_copy, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    message = read_message(tmp_path / "m" / "2026-01-19.eml")
    assert re.fullmatch(r"<digest\.2026-01-19\.[0-9a-f]{16}@" + re.escape(domain) + ">", message["Message-ID"])


LONG_NAME = "Trending Papers, the daily digest of the most popular machine learning research papers"


@pytest.mark.parametrize("change", [
    {"title": LONG_NAME, "email": {"from": None, "to": None}},  # From and To made from the title
    {"email": {"from": f'"{LONG_NAME}" <digest@digest.example.org>', "to": f'"{LONG_NAME}" <r@digest.example.org>',
               "reply_to": f'"Editors; {LONG_NAME}" <e@digest.example.org>'}},
    {"email": {"from": f'"{LONG_NAME} – für alle" <digest@digest.example.org>'}},
])
def test_long_display_names_that_need_quotes_stay_one_address(tmp_path, content_copy, change):
    """Folded at 78 characters, Python 3.11 drops the quotes of a display name, and its comma
    then parts two addresses: such a header stays on one line."""
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            settings[key] = {k: v for k, v in {**settings[key], **value}.items() if v is not None}
        else:
            settings[key] = value
    (content_copy / "site.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = run_cli("email", "latest", "--content", content_copy, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    raw = (tmp_path / "m" / "2026-01-19.eml").read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = read_message(tmp_path / "m" / "2026-01-19.eml")
    for name in ("From", "To", "Reply-To"):
        header = message[name]
        assert len(header.addresses) == 1 and not header.defects, (name, str(header))
    assert LONG_NAME in message["From"].addresses[0].display_name


@pytest.mark.parametrize("title", ["Ünïcödé Papers, daily — «Spécial» 日本語のタイトル with a rather long name",
                                   "Über-Papiere, täglich: die Liste der Arbeiten, die heute im Trend sind, für alle",
                                   "Hugging Face 每日论文精选,大型语言模型与多模态研究摘要",
                                   # Over a line of 998 characters written whole: words of 992 went out.
                                   "論文" * 130])
def test_a_long_display_name_not_in_ascii_is_encoded_words_of_75_on_lines_of_78(content_copy, tmp_path, title):
    """RFC 2047 allows an encoded-word of 75 characters at most, RFC 5322 asks for lines of 78: a
    site title with a comma went as one encoded-word of 104 characters on a line of 155."""
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    settings["title"] = title
    settings["email"] = {k: v for k, v in settings.get("email", {}).items() if k not in ("from", "to")}
    (content_copy / "site.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    assert run_cli("email", "latest", "--content", content_copy, "--out", tmp_path / "m").returncode == 0
    raw = (tmp_path / "m" / "2026-01-19.eml").read_bytes()
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert max(len(line) for line in head.split("\r\n")) <= 78, head
    assert max(len(word) for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", head)) <= 75, head
    message = read_message(tmp_path / "m" / "2026-01-19.eml")
    unfolded = re.sub(r"\r\n[ \t]", " ", head)
    for name in ("From", "To"):
        [address] = message[name].addresses
        # Python's parser reads a space between two encoded-words, also inside a run of characters.
        assert address.display_name.replace(" ", "") == title.replace(" ", "")
        # As readers decode it (RFC 2047, 6.2: the space between two encoded-words is no part of the text).
        line = next(h for h in unfolded.split("\r\n") if h.startswith(f"{name}: "))
        shown = str(make_header(decode_header(line[len(name) + 2:].rsplit(" <", 1)[0])))
        assert shown == title, shown


def test_html_part_of_the_largest_day_stays_under_gmail_clipping(built_site):
    html = (built_site / "email" / "2026-01-19.html").read_bytes()
    assert len(html) < 102 * 1000


def test_layout_does_not_depend_on_a_style_block(built_site):
    soup = BeautifulSoup((built_site / "email" / "2026-01-19.html").read_text(), "html.parser")
    styles = [s.get_text() for s in soup.find_all("style")]
    # Whatever stays in <style> is inside @media blocks: strip them and nothing must be left.
    for css in styles:
        depth, outside = 0, []
        for char in re.sub(r"@media[^{]*", "", css):
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0:
                outside.append(char)
        assert "".join(outside).strip() == "", f"rules outside @media: {''.join(outside)!r}"
    for table in soup.find_all("table"):
        assert "width" in table.get("style", ""), "every layout table carries its width inline"
    for element in soup.select(".cell, .foot, .title a, .meta, .abs"):
        assert element.get("style"), f"{element.name}.{element.get('class')} has no inline style"


def test_every_link_is_absolute(built_site):
    for day in DAYS:
        soup = BeautifulSoup((built_site / "email" / f"{day}.html").read_text(), "html.parser")
        links = [a["href"] for a in soup.find_all("a", href=True)]
        assert links
        for href in links:
            assert href.startswith(("https://", "http://", "mailto:")), href
        text = (built_site / "email" / f"{day}.txt").read_text()
        for url in re.findall(r"(?:https?://|\.\./|/papers/)\S*", text):
            assert url.startswith("https://"), url


def test_plain_text_is_wrapped_at_72_columns_except_bare_urls(built_site):
    text = (built_site / "email" / "2026-01-19.txt").read_text()
    for line in text.splitlines():
        if len(line) > 72:
            assert re.search(r"https?://\S+$", line) and " " not in line.strip().split(": ", 1)[-1], line


def test_plain_text_lines_of_a_paper_line_up_under_its_title_whatever_its_rank(built_site):
    """From rank 10 on, the lines under a title were indented by three columns, the title by four."""
    text = (built_site / "email" / "2026-01-19.txt").read_text()
    blocks = re.findall(r"^(\d+)\. .*\n((?:[ ]+\S.*\n)+)", text, re.M)
    assert len(blocks) > 10 and any(len(rank) == 2 for rank, _ in blocks)
    for rank, lines in blocks:
        indent = " " * (len(rank) + 2)
        assert all(line.startswith(indent) and line[len(indent)] != " " for line in lines.splitlines()), (rank, lines)


def test_an_unsubscribe_url_with_other_characters_is_percent_encoded_in_the_text_part(content_copy, tmp_path):
    """Plain text cannot show where a URL with spaces-like or non-ASCII characters ends: it is as the header has it."""
    settings = yaml.safe_load((content_copy / "site.yaml").read_text())
    settings["email"]["unsubscribe_url"] = "https://news.example.org/désabonner?t=ü"
    (content_copy / "site.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = run_cli("email", "2026-01-07", "--content", content_copy, "--out", tmp_path / "out", "-q")
    assert result.returncode == 0, result.stderr
    text, html = parts_of(read_message(tmp_path / "out" / "2026-01-07.eml"))
    encoded = "https://news.example.org/d%C3%A9sabonner?t=%C3%BC"
    assert f"Unsubscribe or manage your subscription: {encoded}" in text and "désabonner" not in text
    assert BeautifulSoup(html, "html.parser").find("a", string=re.compile("Unsubscribe"))["href"] == encoded


def test_new_papers_are_marked_in_both_parts(built_site):
    text, html = parts_of(read_message(built_site / "email" / "2026-01-19.eml"))
    assert "1. Puzzle: Distillation-Based NAS for Inference-Optimized LLMs [NEW]" in text
    assert "Analyzing Modern NVIDIA GPU cores [BACK]" in text
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.find_all("span", string="NEW")) == 49


def test_export_is_byte_identical_across_builds(tmp_path, content_copy):
    out = []
    for run in range(2):
        target = tmp_path / f"mail{run}"
        result = run_cli("email", "2026-01-07", "--content", content_copy, "--out", target, "-q")
        assert result.returncode == 0, result.stderr
        out.append({p.name: p.read_bytes() for p in target.iterdir()})
    assert sorted(out[0]) == ["2026-01-07.eml", "2026-01-07.html", "2026-01-07.txt"]
    assert out[0] == out[1]


def test_email_latest_and_an_unknown_day(tmp_path, content_copy):
    result = run_cli("email", "latest", "--content", content_copy, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "2026-01-19.eml").is_file()
    result = run_cli("email", "2026-01-08", "--content", content_copy, "--out", tmp_path / "m")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "no list day 2026-01-08" in result.stderr and "Traceback" not in result.stderr


def test_email_export_never_writes_into_the_snapshots_or_page_folders(content_copy):
    """An e-mail's DATE.txt would replace the snapshot of that day (the default --out is the
    folder the command runs in)."""
    before = {p: p.read_bytes() for p in content_copy.rglob("*") if p.is_file()}
    for out, cwd in ((content_copy / "topics", None), (content_copy / "dates" / "mail", None),
                     (Path("."), content_copy / "snapshots")):
        command = ["email", "2026-01-19", "--content", content_copy] + (["--out", out] if cwd is None else [])
        result = run_cli(*command, cwd=cwd)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == (f"digest: error: {out}: cannot write into this folder: it is or lies in a folder of "
                                 f"the content folder {content_copy} that digest reads or writes; "
                                 f"choose another --out\n")
    assert {p: p.read_bytes() for p in content_copy.rglob("*") if p.is_file()} == before


def test_email_export_never_writes_into_a_content_folder_itself(tmp_path, content_copy):
    """There, DATE.html and DATE.txt would be taken for snapshots saved in the wrong folder by every
    later build (a warning each, fatal with --strict)."""
    other = tmp_path / "other"
    shutil.copytree(content_copy, other)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for command, cwd in ((["--content", "."], content_copy), (["--content", content_copy, "--out", other], None)):
        result = run_cli("email", "2026-01-19", *command, cwd=cwd)
        out = command[-1]
        assert result.returncode == 1 and result.stderr == (
            f"digest: error: {out}: cannot write into the content folder: files named by a day there are taken for "
            f"snapshots saved in the wrong folder; choose another --out\n"), result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_email_export_never_writes_into_another_content_folders_snapshots(tmp_path, content_copy):
    """Not the named content folder's only: any folder beside a site.yaml is a content folder."""
    other = tmp_path / "other"
    shutil.copytree(content_copy, other)
    before = {p: p.read_bytes() for p in other.rglob("*") if p.is_file()}
    for out in (other / "snapshots", other / "dates" / "mail"):
        result = run_cli("email", "2026-01-19", "--content", content_copy, "--out", out)
        assert result.returncode == 1 and result.stderr == (
            f"digest: error: {out}: cannot write into this folder: it is or lies in a folder of the content folder "
            f"{other} that digest reads or writes; choose another --out\n")
    assert {p: p.read_bytes() for p in other.rglob("*") if p.is_file()} == before


def test_email_export_replaces_a_link_in_its_folder_and_never_writes_through_it(tmp_path, content_copy):
    """A link planted where an exported file goes is replaced by the file: what it points to is left alone."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "m"
    out.mkdir()
    assert run_cli("email", "latest", "--content", content_copy, "--out", out).returncode == 0
    (out / ".2026-01-19.eml.tmp").symlink_to(victim)  # where the new .eml is written first
    result = run_cli("email", "latest", "--content", content_copy, "--out", out)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious"
    assert "<html" in (out / "2026-01-19.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["2026-01-19.eml", "2026-01-19.html", "2026-01-19.txt"]
    (out / "2026-01-19.html").unlink()
    (out / "2026-01-19.html").symlink_to(victim)  # beside digest's own e-mail of the day: not the page it wrote
    result = run_cli("email", "latest", "--content", content_copy, "--out", out)
    assert result.returncode == 1 and "2026-01-19.html: not replaced: a file digest did not write" in result.stderr
    assert victim.read_text() == "precious" and (out / "2026-01-19.html").is_symlink()


@pytest.mark.parametrize("name", ["2026-01-19.txt", "2026-01-19.eml", "2026-01-19.html"])
def test_email_export_never_replaces_a_file_it_did_not_write(tmp_path, content_copy, name):
    """A snapshot saved as DATE.txt where the command runs (its default --out) was lost to the
    e-mail's text part; an earlier export of the day is replaced (see the tests above and below)."""
    out = tmp_path / "m"
    out.mkdir()
    mine = out / name
    mine.write_bytes(b"Jan 19\n\nMy own notes, or a snapshot saved here\n")
    result = run_cli("email", "latest", "--content", content_copy, "--out", out)
    assert result.returncode == 1 and result.stderr == (
        f"digest: error: {out / '2026-01-19.eml' if name.endswith('.eml') else mine}: not replaced: a file digest did "
        f"not write is there; give --out another folder\n")
    assert list(out.iterdir()) == [mine] and mine.read_bytes().startswith(b"Jan 19\n\nMy own notes")


@pytest.mark.parametrize("name", ["2026-01-19.txt", "2026-01-19.html"])
def test_email_export_never_replaces_a_file_of_the_users_beside_its_earlier_email(tmp_path, content_copy, name):
    """Beside the .eml of an earlier export, a .txt or .html that is not that e-mail's part is
    the user's own (a snapshot saved as DATE.html, say): the export is refused, nothing lost."""
    out = tmp_path / "m"
    assert run_cli("email", "latest", "--content", content_copy, "--out", out).returncode == 0
    mine = out / name
    mine.write_bytes(b"Jan 19\n\nMy own notes, or a snapshot saved here\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_cli("email", "latest", "--content", content_copy, "--out", out)
    assert result.returncode == 1 and result.stderr == (
        f"digest: error: {mine}: not replaced: a file digest did not write is there; give --out another folder\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    mine.write_bytes(b"")  # an empty file is no part of the e-mail either
    assert run_cli("email", "latest", "--content", content_copy, "--out", out).returncode == 1
    assert mine.read_bytes() == b""


def test_a_folder_where_an_exported_file_goes_is_an_error_naming_that_file_and_leaves_nothing(tmp_path, content_copy):
    out = tmp_path / "m"
    for name in ("2026-01-19.html", "2026-01-19.txt"):  # the second: the first is not written either
        (out / name).mkdir(parents=True)
        result = run_cli("email", "latest", "--content", content_copy, "--out", out)
        assert result.returncode == 1
        assert result.stderr == f"digest: error: {out / name}: cannot write: a folder is in the way\n"
        assert all(p.is_dir() for p in out.iterdir()), list(out.iterdir())
        (out / name).rmdir()


def test_the_paths_of_the_exported_files_are_printed_once_all_are_written(tmp_path, content_copy):
    """A reader that stops reading (head -1) stopped the export after the first file.  The files
    written, the command has done its work: exit 0 (see test_cli's reports that cannot be written)."""
    import subprocess
    import sys

    out = tmp_path / "m"
    command = [sys.executable, "-m", "digest", "email", "latest", "--content", str(content_copy), "--out", str(out)]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()  # closed before anything is printed
    assert reader.wait(timeout=60) == 0 and b"Traceback" not in reader.stderr.read()
    reader.stderr.close()
    assert sorted(p.name for p in out.iterdir()) == ["2026-01-19.eml", "2026-01-19.html", "2026-01-19.txt"]


def test_a_day_of_more_papers_than_fit_lists_the_top_ones_and_how_many_more(tmp_path, content_copy):
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["email"]["max_html_bytes"] = 60000  # only the 57-paper day is larger
    site_yaml.write_text(yaml.safe_dump(data))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    mail = tmp_path / "site" / "email"
    html = (mail / "2026-01-19.html").read_text()
    assert len(html.encode()) <= 60000
    soup = BeautifulSoup(html, "html.parser")
    titles = [h.find("a").get_text() for h in soup.select("h2.title")]
    day = yaml.safe_load((CONTENT / "dates" / "2026-01-19.md").read_text().split("---\n")[1])
    assert 30 < len(titles) < 57
    more = soup.find("a", string=re.compile("more papers on the web"))
    assert more.get_text() == f"{57 - len(titles)} more papers on the web"
    # to the first of them on the day's page
    first_left = day["papers"][len(titles)]
    assert more["href"].endswith(f"/dates/2026-01-19/#paper-{first_left}"), more["href"]
    assert len(day["papers"]) == 57
    text = (mail / "2026-01-19.txt").read_text()
    assert f"{57 - len(titles)} more papers on the web: {more['href']}\n" in text
    assert text.count("   Read more: ") == len(titles)
    # The subject and summary still tell the whole day; the days that fit are whole.
    message = email.message_from_bytes((mail / "2026-01-19.eml").read_bytes(), policy=email.policy.default)
    assert "57 papers" in message["Subject"]
    assert "more papers on the web" not in (mail / "2026-01-07.html").read_text()
    # The limit holds for the HTML as the e-mail carries it, with CRLF line ends (the file has LF):
    # a limit that these papers' HTML fits with LF only is too small for them.
    carried = message.get_body(("html",)).get_payload(decode=True)
    assert len(carried) <= 60000 and carried.count(b"\r\n") == html.count("\n")
    data["email"]["max_html_bytes"] = limit = len(carried) - 1
    site_yaml.write_text(yaml.safe_dump(data))
    result = run_cli("email", "2026-01-19", "--content", content_copy, "--out", tmp_path / "tight", "-q")
    assert result.returncode == 0, result.stderr
    message = email.message_from_bytes((tmp_path / "tight" / "2026-01-19.eml").read_bytes(),
                                       policy=email.policy.default)
    assert len(message.get_body(("html",)).get_payload(decode=True)) <= limit


def test_an_email_limit_too_small_for_one_paper_fails_the_build_with_a_clear_message(tmp_path, content_copy):
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["email"].update(max_html_bytes=10_000, abstract_chars=100_000)
    site_yaml.write_text(yaml.safe_dump(data))
    lengthen_first_abstract(content_copy)
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 1
    assert "e-mail for 2025-11-03" in result.stderr and "email.max_html_bytes" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "site").exists()


def test_snapshot_text_is_escaped_in_the_email(tmp_path, content_copy):
    hostile = '<img src=x onerror="alert(1)"> & <script>alert(2)</script> {{ 7*7 }}'
    snapshot = content_copy / "snapshots" / "2026-01-19.txt"
    text = snapshot.read_text().replace("Puzzle: Distillation-Based NAS", f"Puzzle {hostile}", 1)
    snapshot.write_text(text)
    result = run_cli("email", "--content", content_copy, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "m" / "2026-01-19.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    assert hostile in soup.get_text()
    assert "{{ 7*7 }}" in " ".join((tmp_path / "m" / "2026-01-19.txt").read_text().split())


# --- sending -------------------------------------------------------------------------------------


class Recorder:
    """An aiosmtpd handler that keeps every message, or refuses some recipients."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address == self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    servers = []

    def start(handler):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        return controller.port

    yield start
    for controller in servers:
        controller.stop()


def use_server(content: Path, port: int) -> None:
    site_yaml = content / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["email"].update({"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                          "smtp_timeout": 5})
    site_yaml.write_text(yaml.safe_dump(data))


def test_send_delivers_the_eml_unchanged_to_a_real_smtp_server(tmp_path, content_copy, smtp_server):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "2026-01-07", "--to", "alice@example.net", "Bob <bob@example.net>",
                     "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert len(recorder.messages) == 1
    sender, recipients, data = recorder.messages[0]
    assert sender == "digest@digest.example.org"
    assert recipients == ["alice@example.net", "bob@example.net"]
    exported = run_cli("email", "2026-01-07", "--content", content_copy, "--out", tmp_path / "m", "-q")
    assert exported.returncode == 0
    assert data == (tmp_path / "m" / "2026-01-07.eml").read_bytes()


def test_standard_output_that_fails_once_the_email_is_sent_is_a_warning_not_a_failure(content_copy, smtp_server):
    """It was an error, exit 1: a script trying again sent the e-mail twice."""
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "digest", "send", "2026-01-07", "--to", "alice@example.net",
                                 "--content", str(content_copy)], stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=60)
    assert (result.returncode, result.stderr) == (0, "digest: warning: cannot write to standard output: No space "
                                                     "left on device; the e-mail is sent to alice@example.net\n")
    assert len(recorder.messages) == 1
    with open("/dev/full", "w") as full:  # standard error on the full disk too: a cron job's '>>log 2>&1'
        result = subprocess.run([sys.executable, "-m", "digest", "send", "2026-01-07", "--to", "alice@example.net",
                                 "--content", str(content_copy)], stdout=full, stderr=full, timeout=60)
    assert result.returncode == 0 and len(recorder.messages) == 2


def test_a_day_sent_before_its_noon_is_dated_when_it_is_sent(tmp_path, content_copy, smtp_server):
    """The .eml of a list day is dated its noon (UTC), the same bytes every build; sent before
    then (a list of tomorrow's, as the hub's clock has it, is sent that early at least), it is
    dated the moment it goes, not hours ahead."""
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date()
    text = (FIXTURES / "json" / "2026-01-19.json").read_text().replace('"2026-01-19T', f'"{tomorrow}T')
    (content_copy / "snapshots" / f"{tomorrow}.json").write_text(text)
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result = run_cli("send", str(tomorrow), "--to", "alice@example.net", "--content", content_copy)
    after = dt.datetime.now(dt.timezone.utc)
    assert result.returncode == 0, result.stderr
    [(_, _, data)] = recorder.messages
    sent = email.message_from_bytes(data, policy=email.policy.default)
    assert before <= parsedate_to_datetime(sent["Date"]) <= after
    exported = run_cli("email", str(tomorrow), "--content", content_copy, "--out", tmp_path / "m", "-q")
    assert exported.returncode == 0, exported.stderr
    eml = (tmp_path / "m" / f"{tomorrow}.eml").read_bytes()
    kept = email.message_from_bytes(eml, policy=email.policy.default)
    assert parsedate_to_datetime(kept["Date"]) == dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12,
                                                              tzinfo=dt.timezone.utc)
    # Nothing else differs: the same headers, in the same order, and the same bodies.
    assert [(k, v) for k, v in sent.items() if k != "Date"] == [(k, v) for k, v in kept.items() if k != "Date"]
    assert data.split(b"\r\n\r\n", 1)[1] == eml.split(b"\r\n\r\n", 1)[1]


def test_dry_run_sends_nothing(content_copy, smtp_server):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "alice@example.net", "--dry-run", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert "Would send 'Trending papers — 19 Jan 2026: 57 papers, 49 new'" in result.stdout
    assert recorder.messages == []


@pytest.mark.parametrize("user", ["", None])
def test_a_password_without_a_user_name_is_refused_before_anything_is_sent(content_copy, smtp_server, user):
    """Sending without the login the password was for would go out unauthenticated, or fail later."""
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    env = {"DIGEST_SMTP_PASSWORD": "s3cret"} | ({} if user is None else {"DIGEST_SMTP_USER": user})
    without = {k: v for k, v in os.environ.items() if k != "DIGEST_SMTP_USER"}
    for extra in ([], ["--dry-run"]):
        result = subprocess.run([sys.executable, "-m", "digest", "send", "--to", "alice@example.net", *extra,
                                 "--content", str(content_copy)], env={**without, **env},
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and recorder.messages == []
        assert result.stderr == ("digest: error: DIGEST_SMTP_PASSWORD is set but DIGEST_SMTP_USER is empty or "
                                 "unset; set both to log in, or neither to send without a login\n")
    dry = run_cli("send", "--to", "alice@example.net", "--dry-run", "--content", content_copy,
                  env={"DIGEST_SMTP_USER": "robot", "DIGEST_SMTP_PASSWORD": "s3cret"})
    assert dry.returncode == 0 and ", logged in as robot)" in dry.stdout and "s3cret" not in dry.stdout


@pytest.mark.parametrize("day", ["2026-01-19", "latest"])
def test_a_day_after_the_addresses_is_told_to_go_before_them(content_copy, smtp_server, day):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "alice@example.net", day, "--content", content_copy)
    assert result.returncode == 2 and recorder.messages == []  # a bad command line
    assert result.stderr == (f"digest: error: not an e-mail address: '{day}' is a day; give the day before --to "
                             f"(digest send {day} --to ADDR)\n")


def test_to_given_twice_sends_to_both(content_copy, smtp_server):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "alice@example.net", "--to", "bob@example.net", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert [sorted(rcpt) for _, rcpt, _ in recorder.messages] == [["alice@example.net", "bob@example.net"]]


def test_a_refused_recipient_is_a_clear_error(content_copy, smtp_server):
    recorder = Recorder(refuse="nobody@example.net")
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "nobody@example.net", "--content", content_copy)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].endswith("refused 1 of 1 recipients: nobody@example.net (550 5.1.1 No such user here)")
    assert recorder.messages == []


def test_a_send_that_reaches_some_recipients_and_not_others_names_both(content_copy, smtp_server):
    """Else a second try sends it again to those who have it."""
    recorder = Recorder(refuse="nobody@example.net")
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "alice@example.net", "nobody@example.net", "bob@example.net",
                     "--content", content_copy)
    assert result.returncode == 3  # a status of its own: a script must not send it to everyone again
    [line] = result.stderr.splitlines()
    assert line.endswith("refused 1 of 3 recipients: nobody@example.net (550 5.1.1 No such user here); "
                         "the e-mail went to alice@example.net, bob@example.net")
    assert [sorted(rcpt) for _, rcpt, _ in recorder.messages] == [["alice@example.net", "bob@example.net"]]


class LimitedRecorder(Recorder):
    """A server that takes at most 100 recipients a message, as RFC 5321 lets it."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_many_recipients_are_sent_the_message_100_at_a_time(content_copy, smtp_server):
    recorder = LimitedRecorder()
    use_server(content_copy, smtp_server(recorder))
    readers = [f"r{n}@example.net" for n in range(250)]
    result = run_cli("send", "--to", *readers, "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert [len(rcpt) for _, rcpt, _ in recorder.messages] == [100, 100, 50]
    assert sorted(r for _, rcpt, _ in recorder.messages for r in rcpt) == sorted(readers)
    assert len({data for _, _, data in recorder.messages}) == 1  # the same bytes each time


class ClosingRecorder(LimitedRecorder):
    """A server that takes one message, then closes for the day."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.messages:
            return "421 4.3.2 Service shutting down"
        envelope.mail_from = address
        return "250 OK"


def test_a_send_that_fails_after_reaching_some_recipients_says_whom(content_copy, smtp_server):
    recorder = ClosingRecorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", *(f"r{n}@example.net" for n in range(150)), "--content", content_copy)
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "answered 421 4.3.2 Service shutting down" in line
    # every one of them, so that a second try leaves them out
    assert line.endswith("; the e-mail had already gone to " + ", ".join(f"r{n}@example.net" for n in range(100)))
    assert [len(rcpt) for _, rcpt, _ in recorder.messages] == [100]


class ShuttingRecorder(Recorder):
    """A server that shuts down (421) at one recipient: smtplib closes, and nothing is sent."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "r3@example.net":
            return "421 4.3.2 Shutting down"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_server_that_shuts_down_at_a_recipient_sent_to_none_of_them(content_copy, smtp_server):
    recorder = ShuttingRecorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", *(f"r{n}@example.net" for n in range(6)), "--content", content_copy)
    assert result.returncode == 1 and recorder.messages == []
    [line] = result.stderr.splitlines()
    assert line.endswith("closed the connection (421 4.3.2 Shutting down) at the recipient r3@example.net; the "
                         "e-mail went to none of r0@example.net, r1@example.net, r2@example.net, r3@example.net, "
                         "r4@example.net, r5@example.net")
    assert "went to r" not in line


def test_a_dropped_connection_is_a_clear_error(content_copy):
    # A server that greets and then hangs up at once.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.sendall(b"220 hello\r\n")
        conn.recv(1024)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    use_server(content_copy, listener.getsockname()[1])
    result = run_cli("send", "--to", "alice@example.net", "--content", content_copy)
    thread.join(5)
    listener.close()
    assert result.returncode == 1
    assert "closed the connection" in result.stderr and "Traceback" not in result.stderr


def test_no_server_listening_is_a_clear_error(content_copy):
    port = free_port()  # nothing listens there now
    use_server(content_copy, port)
    result = run_cli("send", "--to", "alice@example.net", "--content", content_copy)
    assert result.returncode == 1
    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in result.stderr


def test_starttls_required_but_not_offered_is_a_clear_error(smtp_server):
    port = smtp_server(Recorder())
    mail = EmailConfig(sender="a@example.org", to="b@example.org", smtp_host="127.0.0.1", smtp_port=port,
                       smtp_security="starttls", smtp_timeout=5)
    with pytest.raises(DigestError, match="does not offer STARTTLS"):
        send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], mail, environ={})


def test_credentials_come_only_from_the_environment(smtp_server):
    seen = {}

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                            authenticator=lambda server, session, envelope, mechanism, auth_data:
                            _remember(seen, auth_data))
    controller.start()
    try:
        port = controller.port
        mail = EmailConfig(sender="a@example.org", to="b@example.org", smtp_host="127.0.0.1", smtp_port=port,
                           smtp_security="none", smtp_timeout=5)
        send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], mail,
                     environ={"DIGEST_SMTP_USER": "robot", "DIGEST_SMTP_PASSWORD": "s3cret"})
    finally:
        controller.stop()
    assert seen["login"] == (b"robot", b"s3cret")
    assert len(recorder.messages) == 1


def _remember(seen, auth_data):
    from aiosmtpd.smtp import AuthResult
    seen["login"] = (auth_data.login, auth_data.password)
    return AuthResult(success=True)


# --- how it looks --------------------------------------------------------------------------------


@contextlib.contextmanager
def chromium():
    """Debian's headless Chromium, through Playwright."""
    from playwright.sync_api import sync_playwright

    assert Path("/usr/bin/chromium").exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def test_email_html_has_no_horizontal_overflow_in_chromium(built_site):
    ARTIFACTS.mkdir(exist_ok=True)
    page_url = (built_site / "email" / "2026-01-19.html").as_uri()
    with chromium() as browser:
        for width in (600, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            external = []
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith("file:") else None)
            page.goto(page_url)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / f"email-2026-01-19-{width}.png"), full_page=True)
            assert scroll_width <= width, f"horizontal overflow at {width}px: {scroll_width}"
            box = page.evaluate("document.querySelector('table.box').getBoundingClientRect().width")
            assert box <= min(600, width)
            assert external == [], f"the e-mail loads remote resources: {external}"
            page.close()


def test_a_long_word_in_a_title_or_abstract_wraps_inside_a_narrow_screen(content_copy, tmp_path):
    """As on the site's pages: a word wider than the screen (a long name, a URL) is broken, not
    left to widen the e-mail past the screen."""
    word = "Supercalifragilistic" * 5
    snapshot = content_copy / "snapshots" / "2025-11-03.txt"
    text = snapshot.read_text(encoding="utf-8")
    text = text.replace("Insights into DeepSeek-V3:", f"{word} DeepSeek-V3:", 1)
    text = text.replace("The rapid scaling of", "See https://example.org/" + "a" * 120 + " on the rapid scaling of", 1)
    snapshot.write_text(text, encoding="utf-8")
    result = run_cli("email", "2025-11-03", "--content", content_copy, "--out", tmp_path, "-q")
    assert result.returncode == 0, result.stderr
    assert word in (tmp_path / "2025-11-03.html").read_text(encoding="utf-8")
    with chromium() as browser:
        for width in (320, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto((tmp_path / "2025-11-03.html").as_uri())
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, f"horizontal overflow at {width}px: {scroll_width}"
            page.close()


def test_rendering_uses_the_shared_day_pages():
    loaded = load(CONTENT)
    env, _ = template_environment(None)
    newsletter = render_newsletter(loaded.days[0], loaded.config, env)
    assert newsletter.date.isoformat() == "2025-11-03"
    assert newsletter.subject == "Trending papers — 3 Nov 2025: 5 papers, 5 new"
    assert set(newsletter.files()) == {"email/2025-11-03.html", "email/2025-11-03.txt", "email/2025-11-03.eml"}


@functools.cache
def bundled_config():
    return load(CONTENT).config


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400), st.text(max_size=80))
# binascii made this a line of 78 characters: it ends in a space, encoded as =20.
@example(text="0000\x1f" + "\x80" * 12 + "\u0800" + "\U00010000" * 5 + " ", html="", subject="")
# A line, or the part of one after a soft line break, that starts "From ".
@example(text="From here on\n" + "a" * 75 + "From " * 30, html="b" * 72 + "From " * 30, subject="")
def test_any_text_survives_the_message_exactly(text, html, subject):
    """Whatever the bodies hold (boundary look-alikes, lone CRs, long lines, any script), the
    message parses without defects into exactly those bodies (line ends aside), in lines SMTP accepts."""
    from digest.newsletter import build_message

    config = bundled_config()
    text, html = f"{text}\n--=_digest_x\n", f"<p>{html}</p>\n"
    subject = " ".join(subject.split()) or "Subject"
    raw = build_message(dt.date(2026, 1, 19), subject, text, html, config)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert not message.defects and all(not part.defects for part in message.iter_parts())
    plain, rich = parts_of(message)
    assert plain.replace("\r\n", "\n") == text.replace("\r\n", "\n").replace("\r", "\n")
    assert rich.replace("\r\n", "\n") == html.replace("\r\n", "\n").replace("\r", "\n")
    assert message["Subject"] == subject
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and max(map(len, lines)) <= 998
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert all(len(line) <= 76 and not line.startswith(b"From ") for line in body.split(b"\r\n"))


def test_a_mailbox_the_message_is_delivered_into_gives_it_back_unchanged(tmp_path):
    """A line that starts "From " is the next message's start in an mbox file: mail programs deliver
    it as ">From ", which readers then see in the text."""
    import mailbox

    from digest.newsletter import build_message

    text = "From here on\n" + "a" * 75 + "From " * 30 + "\n"
    html = "<p>" + "b" * 69 + "From " * 30 + "</p>\n"
    raw = build_message(dt.date(2026, 1, 19), "Subject", text, html, bundled_config())
    box = mailbox.mbox(tmp_path / "box")
    box.add(raw)
    box.close()
    delivered = email.message_from_bytes(bytes(mailbox.mbox(tmp_path / "box")[0]), policy=email.policy.default)
    plain, rich = parts_of(delivered)
    assert (plain.replace("\r\n", "\n"), rich.replace("\r\n", "\n")) == (text, html)


def test_recipients_are_addresses_and_nothing_else():
    assert recipients_of(["Ann <a@b.org>, c@d.org", "e@f.org"]) == ["a@b.org", "c@d.org", "e@f.org"]
    assert recipients_of(["u@[192.0.2.1]", "v@localhost"]) == ["u@[192.0.2.1]", "v@localhost"]
    assert recipients_of(['"Doe, Ann" <a@b.org>']) == ["a@b.org"]  # a comma in a quoted name
    assert recipients_of(["u@[IPv6:2001:db8::1]", "v@b.org."]) == ["u@[IPv6:2001:db8::1]", "v@b.org"]
    # An address given with a final dot is sent without it (servers refuse it), and is the same address.
    assert recipients_of(["a@b.org.", "a@b.org"]) == ["a@b.org"]
    for bad in (["a@b.org\r\nBcc: x@y.org"], [""], ["  "], ["not an address"], ["a@b.org", "x\ty@z.org"],
                ["@b.org"], ["a@-"], ["a@x..org"], ["a@-x.org"], ["a@x.org", "b@c@"], ["<a@b.org>evil@x.org"],
                ["Ann <a@b.org> c@d.org"], ['"Ann, B" <a@b.org>c@d.org'], ["(x, y) <a@b.org>c@d.org"],
                ["a@b.org; c@d.org"], ["a@"], ["a@", "b@c.org"], ["b@c.org, a@"], ["x@[a>b]"], ["y@[<>]"],
                ["z@[1.2.3]"], ["u@[IPv6:1.2.3.4]"], ["u@[]"], ['"a b"@c.org'], ["a@[IPv6:fe80::1%eth0]"]):
        with pytest.raises(DigestError) as info:
            recipients_of(bad)
        assert re.match("not (an|one) e-mail address", str(info.value)), bad
    for nothing in ([], [","], [" , ,"]):
        with pytest.raises(DigestError, match="no recipient"):
            recipients_of(nothing)


def test_an_empty_place_between_commas_or_after_the_last_is_no_mistake():
    assert recipients_of(["a@x.org, b@x.org,", "c@x.org,,d@x.org", ", e@x.org"]) == [
        "a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"]


def test_an_address_given_twice_is_sent_to_once(content_copy, smtp_server):
    assert recipients_of(["a@b.org", "Ann <a@B.ORG>", "c@d.org, a@b.org.", "A@b.org"]) == ["a@b.org", "c@d.org",
                                                                                          "A@b.org"]
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    addresses = [f"r{i}@example.net" for i in range(150)]
    result = run_cli("send", "--to", *addresses, *addresses[:120], "--content", content_copy)
    assert result.returncode == 0, result.stderr
    sent = [address for _, rcpt, _ in recorder.messages for address in rcpt]
    assert sorted(sent) == sorted(addresses)


def test_a_non_ascii_recipient_is_a_clear_error_and_nothing_is_sent(content_copy, smtp_server):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    for dry_run in (["--dry-run"], []):  # told before anything is sent, by a dry run too
        result = run_cli("send", "--to", "alice@example.net", "jösé@exämple.org", *dry_run, "--content", content_copy)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr == "digest: error: --to: cannot send to jösé@exämple.org: SMTP here carries only ASCII " \
                                "before the @\n"
    assert recorder.messages == []


def test_an_internationalised_domain_is_sent_to_in_its_ascii_form(content_copy, smtp_server):
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    result = run_cli("send", "--to", "Jose <jose@exämple.org>", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    assert [rcpt for _, rcpt, _ in recorder.messages] == [["jose@xn--exmple-cua.org"]]


def _hostile_smtp(behaviour) -> tuple[socket.socket, threading.Thread]:
    """A listener on 127.0.0.1 whose one connection is handled by ``behaviour(connection)``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        connection, _ = listener.accept()
        with connection:
            try:
                behaviour(connection)
            except OSError:
                pass  # the client gave up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def _greet_slowly(connection: socket.socket) -> None:
    for byte in b"220 hello there, a byte at a time\r\n" * 20:
        connection.sendall(bytes([byte]))
        time.sleep(0.1)


def _endless_reply(connection: socket.socket) -> None:
    connection.sendall(b"220 hello\r\n")
    connection.recv(1024)  # EHLO
    line = b"250-" + b"x" * 8000 + b"\r\n"
    while True:
        connection.sendall(line * 64)


@pytest.mark.parametrize("behaviour, message", [
    (_greet_slowly, "did not finish within 2 s"),
    (_endless_reply, "sent a reply of more than 1000 lines"),
])
def test_a_server_that_never_finishes_its_reply_is_a_clear_error(content_copy, behaviour, message):
    """Each read comes well within the timeout, but the greeting never ends, or a reply has
    lines without end (which smtplib would keep until memory ran out)."""
    listener, thread = _hostile_smtp(behaviour)
    use_server(content_copy, listener.getsockname()[1])
    site_yaml = content_copy / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("smtp_timeout: 5", "smtp_timeout: 2"))
    started = time.monotonic()
    result = run_cli("send", "--to", "alice@example.net", "--content", content_copy, timeout=60)
    took = time.monotonic() - started
    listener.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert message in line and "127.0.0.1" in line, line
    assert took < 15, took


def _silent_after_the_message(connection: socket.socket) -> None:
    """Answers until the message is sent, and then never again."""
    reader = connection.makefile("rb")
    connection.sendall(b"220 hello\r\n")
    for line in reader:
        command = line.strip().upper()
        if command.startswith(b"EHLO"):
            connection.sendall(b"250 hello\r\n")
        elif command.startswith((b"MAIL", b"RCPT")):
            connection.sendall(b"250 OK\r\n")
        elif command == b"DATA":
            connection.sendall(b"354 go on\r\n")
            for data in reader:
                if data == b".\r\n":
                    break
            time.sleep(30)  # no answer to the message, nor to QUIT
            return


def _garbage(connection: socket.socket) -> None:
    connection.sendall(b"220 hello\r\n")
    for _ in connection.makefile("rb"):  # EHLO, then HELO
        connection.sendall(b"garbage\r\n")


def _mail_to(port: int, **settings) -> EmailConfig:
    return EmailConfig(sender="a@example.org", to="b@example.org", smtp_host="127.0.0.1", smtp_port=port,
                       **{"smtp_security": "none", "smtp_timeout": 2, **settings})


def test_the_time_limit_holds_for_the_whole_exchange_and_no_goodbye_waits_after_it():
    listener, thread = _hostile_smtp(_silent_after_the_message)
    started = time.monotonic()
    # Silent once it has the message: it may have delivered it, which a second try must not repeat.
    with pytest.raises(PartlySent, match="did not say within 2 s whether it took the message: the e-mail may have "
                                         "gone to b@example.org$"):
        send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], _mail_to(listener.getsockname()[1]),
                     environ={})
    took = time.monotonic() - started
    listener.close()
    assert took < 3, took  # QUIT, sent after the limit, waited for a reply for as long again


def test_a_reply_that_is_not_smtp_and_a_login_the_server_does_not_take_are_told_as_such(smtp_server):
    listener, thread = _hostile_smtp(_garbage)
    port = listener.getsockname()[1]
    with pytest.raises(DigestError) as info:
        send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], _mail_to(port), environ={})
    listener.close()
    assert str(info.value) == f"the SMTP server 127.0.0.1:{port} answered with something that is not SMTP"
    port = smtp_server(Recorder())  # offers no AUTH
    with pytest.raises(DigestError) as info:
        send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], _mail_to(port),
                     environ={"DIGEST_SMTP_USER": "me", "DIGEST_SMTP_PASSWORD": "secret"})
    assert str(info.value) == (f"the SMTP server 127.0.0.1:{port} takes no login (AUTH), but DIGEST_SMTP_USER "
                               f"is set; unset it to send without one")


def _hangs_up_on_quit(connection: socket.socket) -> None:
    """Takes the message, then closes the connection at QUIT without a word."""
    reader = connection.makefile("rb")
    connection.sendall(b"220 hello\r\n")
    for line in reader:
        command = line.strip().upper()
        if command == b"QUIT":
            return
        if command == b"DATA":
            connection.sendall(b"354 go on\r\n")
            for data in reader:
                if data == b".\r\n":
                    break
        connection.sendall(b"250 OK\r\n")


def test_a_message_taken_is_sent_even_if_the_goodbye_goes_wrong():
    listener, thread = _hostile_smtp(_hangs_up_on_quit)
    send_message(b"Subject: x\r\n\r\nbody\r\n", ["b@example.org"], _mail_to(listener.getsockname()[1]),
                 environ={})
    listener.close()



def test_a_day_of_one_paper_says_one_paper_in_the_subject_and_the_feed(tmp_path, content_copy):
    (content_copy / "snapshots" / "2026-01-20.json").write_text(json.dumps([{"paper": {
        "id": "2601.00011", "title": "A Lone Paper", "summary": "Its abstract.",
        "publishedAt": "2026-01-20T00:00:00Z"}}]))
    result = run_cli("build", "--content", content_copy, "--out", tmp_path / "site", "--no-search", "-q")
    assert result.returncode == 0, result.stderr
    message = email.message_from_bytes((tmp_path / "site" / "email" / "2026-01-20.eml").read_bytes(),
                                       policy=email.policy.default)
    assert message["Subject"] == "Trending papers — 20 Jan 2026: 1 paper, 1 new"
    atom = (tmp_path / "site" / "atom.xml").read_text()
    assert "<title>Trending papers — 20 Jan 2026: 1 paper, 1 new</title>" in atom


def test_an_internationalised_domain_in_the_settings_is_written_in_its_xn_form_in_the_headers(content_copy, tmp_path):
    """The email package writes a non-ASCII domain as an encoded word, which no address may hold:
    replies went nowhere, and the From no longer matched the sender SMTP was given."""
    site_yaml = content_copy / "site.yaml"
    settings = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
    settings["email"].update({"from": "Digest <digest@bücher.example>", "to": "lecteurs@exämple.org",
                              "reply_to": "Rédaction <editors@bücher.example>"})
    site_yaml.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_cli("email", "latest", "--content", content_copy, "--out", tmp_path, "-q")
    assert result.returncode == 0, result.stderr
    [eml] = tmp_path.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    seen = {name: (message[name].defects, [(a.display_name, a.addr_spec) for a in message[name].addresses])
            for name in ("From", "To", "Reply-To")}
    assert seen == {"From": ((), [("Digest", "digest@xn--bcher-kva.example")]),
                    "To": ((), [("", "lecteurs@xn--exmple-cua.org")]),
                    "Reply-To": ((), [("Rédaction", "editors@xn--bcher-kva.example")])}


def test_an_address_in_the_settings_with_non_ascii_before_the_at_is_refused_naming_its_key(content_copy):
    site_yaml = content_copy / "site.yaml"
    settings = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
    settings["email"]["reply_to"] = "jörg@example.org"
    site_yaml.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_cli("check", "--content", content_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "email.reply_to: has characters other than ASCII before the @, which SMTP here cannot carry: " \
           "'jörg@example.org'" in result.stderr, result.stderr


@pytest.mark.parametrize("failure", ["full", "interrupt", "rename", "interrupt-renaming"])
def test_an_email_export_that_fails_leaves_the_old_files_and_no_new_one(tmp_path, content_copy, monkeypatch,
                                                                         capsys, failure):
    """The three files go together: on a full disk the .html and .txt were written and the .eml
    not, beside an older .eml; an interrupt left temporary files behind; a rename that failed
    after the first left one new file among old ones."""
    import digest.output
    from digest.cli import main

    out = tmp_path / "mail"
    out.mkdir()
    # An earlier export of the day (its .eml has digest's Message-ID): replaced, when nothing fails.
    old = {"2026-01-19.txt": b"older text", "2026-01-19.html": b"<p>older page</p>",
           "2026-01-19.eml": b'Message-ID: <digest.2026-01-19.0@x>\r\nContent-Type: multipart/alternative; boundary="b"'
                             b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nolder text\r\n--b\r\n"
                             b"Content-Type: text/html\r\n\r\n<p>older page</p>\r\n--b--\r\n"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    real_write, real_replace = digest.output.write_temporary, os.replace

    def write(temporary, data):
        if failure in ("full", "interrupt") and temporary.name.endswith(".eml.tmp"):
            real_write(temporary, data[:10])  # part of it written, then:
            raise OSError(28, "No space left on device") if failure == "full" else KeyboardInterrupt()
        real_write(temporary, data)

    def replace(source, target):
        if "renam" in failure and str(source).endswith(".txt.tmp"):  # the new .txt, not the old put back
            raise OSError(1, "Operation not permitted") if failure == "rename" else KeyboardInterrupt()
        real_replace(source, target)

    monkeypatch.setattr(digest.output, "write_temporary", write)
    monkeypatch.setattr(digest.output.os, "replace", replace)
    code = main(["email", "2026-01-19", "--content", str(content_copy), "--out", str(out)])
    monkeypatch.undo()
    assert code == (130 if "interrupt" in failure else 1)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # all old, nothing beside them
    err = capsys.readouterr().err
    if failure == "full":
        assert err == f"digest: error: {out / '2026-01-19.eml'}: cannot write: No space left on device\n"
    elif failure == "rename":
        assert err == f"digest: error: {out / '2026-01-19.txt'}: cannot write: Operation not permitted\n"
    assert main(["email", "2026-01-19", "--content", str(content_copy), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(old)
    assert all((out / name).read_bytes() != data for name, data in old.items())


def test_email_does_not_write_into_the_templates_folder(content_copy, tmp_path):
    """Every file of the templates folder is read as a template: an e-mail's DATE.html written there
    would be one (build refuses such an --out too)."""
    templates = tmp_path / "templates"
    shutil.copytree(CONTENT.parent / "templates", templates)
    shared = tmp_path / "shared-assets"  # assets/ as a link to a shared folder: where it leads
    (templates / "assets").rename(shared)
    (templates / "assets").symlink_to(shared)
    before = sorted(p.name for folder in (templates, shared) for p in folder.rglob("*"))
    for out in (templates, templates / "mail", templates / "assets" / ".mail", shared / ".mail"):  # assets/: the site's
        result = run_cli("email", "latest", "--content", content_copy, "--templates", templates, "--out", out)
        assert result.returncode == 1 and result.stderr == (
            f"digest: error: {out}: cannot write into the templates folder, whose files are templates (and those "
            f"of assets/ files of the site); give --out another folder\n"), result.stderr
    assert sorted(p.name for folder in (templates, shared) for p in folder.rglob("*")) == before
    # A hidden folder there holds no template.
    result = run_cli("email", "latest", "--content", content_copy, "--templates", templates, "--out",
                     templates / ".mail", "-q")
    assert result.returncode == 0 and len(list((templates / ".mail").iterdir())) == 3, result.stderr


def _scripted_smtp(stop_at: int, stalled: threading.Event | None = None,
                   reply: bytes = b"") -> tuple[int, threading.Thread]:
    """A server that takes every command, and at its ``stop_at``-th message, once it has all of it,
    closes the connection after ``reply`` (none by default), or with ``stalled`` sets it and waits
    without a reply."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        lines = conn.makefile("rb")
        conn.sendall(b"220 ready\r\n")
        messages = 0
        while line := lines.readline():
            command = line[:4].upper()
            if command == b"DATA":
                conn.sendall(b"354 go on\r\n")
                while lines.readline() not in (b".\r\n", b""):
                    pass
                messages += 1
                if messages == stop_at:
                    conn.sendall(reply)
                    if reply.startswith(b"5"):  # a refusal: the client goes on (RSET), and gets no answer
                        lines.readline()
                        time.sleep(8)
                        break
                    if stalled is not None:
                        stalled.set()
                        time.sleep(20)
                    break
            conn.sendall(b"221 bye\r\n" if command == b"QUIT" else b"250 ok\r\n")
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_a_connection_closed_once_the_server_has_the_message_may_have_delivered_it(content_copy):
    """RFC 5321's duplicate case: the message was told "closed before the message was sent" (exit 1),
    and examples/daily.sh sent it to everyone again on its next run."""
    port, thread = _scripted_smtp(stop_at=1)
    use_server(content_copy, port)
    result = run_cli("send", "--to", "a@example.net", "b@example.net", "--content", content_copy)
    thread.join(5)
    assert result.returncode == 3, result.stderr
    assert result.stderr == (f"digest: error: the SMTP server 127.0.0.1:{port} closed the connection once it had the "
                             f"message, before saying whether it took it: the e-mail may have gone to a@example.net, "
                             f"b@example.net\n")


@pytest.mark.parametrize("reply, what", [(b"Thank you\r\n", "answered the message with something that is not SMTP"),
                                         (b"250-x\r\n" * 1001, "answered the message with a reply of more than "
                                                                 "1000 lines")])
def test_a_reply_to_the_message_that_says_neither_yes_nor_no_may_have_delivered_it(content_copy, reply, what):
    port, thread = _scripted_smtp(stop_at=1, reply=reply)
    use_server(content_copy, port)
    result = run_cli("send", "--to", "a@example.net", "--content", content_copy)
    thread.join(5)
    assert result.returncode == 3 and result.stderr == (
        f"digest: error: the SMTP server 127.0.0.1:{port} {what}: the e-mail may have gone to a@example.net\n"), \
        result.stderr


def test_a_message_refused_is_not_one_that_may_have_gone_though_what_follows_fails(content_copy):
    """After a 554 to the message, smtplib says RSET; a server silent then made the message one that
    "may have gone" (exit 3), and a second try left out those who never got it; then the error told
    the silence, not the refusal and its reason."""
    port, thread = _scripted_smtp(stop_at=1, reply=b"554 5.7.1 refused as spam\r\n")
    use_server(content_copy, port)
    result = run_cli("send", "--to", "a@example.net", "--content", content_copy)
    thread.join(10)
    assert result.returncode == 1 and "may have gone" not in result.stderr, result.stderr
    # The refusal is told, not what failed after it ("did not finish within 5 s").
    assert result.stderr == f"digest: error: the SMTP server 127.0.0.1:{port} answered 554 5.7.1 refused as spam\n"


def test_sigterm_while_sending_names_whom_the_email_went_to(content_copy):
    """A cron or CI time limit (SIGTERM), or Ctrl-C, once a batch has gone: digest ended without a
    word (or only "interrupted"), and the next try sent the first 100 the e-mail again."""
    stalled = threading.Event()
    port, thread = _scripted_smtp(stop_at=2, stalled=stalled)
    use_server(content_copy, port)
    recipients = [f"r{n}@example.net" for n in range(150)]
    process = subprocess.Popen([sys.executable, "-m", "digest", "send", "--to", *recipients, "--content",
                                str(content_copy)], stderr=subprocess.PIPE, text=True)
    assert stalled.wait(60)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 3, stderr
    assert stderr == (f"digest: error: interrupted once the SMTP server 127.0.0.1:{port} had the message, before it "
                      f"said whether it took it: the e-mail may have gone to {', '.join(recipients[100:])}; the "
                      f"e-mail had already gone to {', '.join(recipients[:100])}\n")


def test_a_to_of_no_recipient_shown_is_written_and_the_message_sent_to_those_given(content_copy, smtp_server):
    """``undisclosed-recipients:;``, the To of a newsletter whose readers do not see each other, was
    refused as no address."""
    recorder = Recorder()
    use_server(content_copy, smtp_server(recorder))
    site_yaml = content_copy / "site.yaml"
    data = yaml.safe_load(site_yaml.read_text())
    data["email"]["to"] = "undisclosed-recipients:;"
    site_yaml.write_text(yaml.safe_dump(data))
    result = run_cli("send", "2026-01-07", "--to", "alice@example.net", "bob@example.net", "--content", content_copy)
    assert result.returncode == 0, result.stderr
    [(_, recipients, sent)] = recorder.messages
    assert recipients == ["alice@example.net", "bob@example.net"]
    message = email.message_from_bytes(sent, policy=email.policy.default)
    assert message["To"] == "undisclosed-recipients:;" and message["To"].addresses == ()
    assert "alice" not in sent.decode("ascii")
