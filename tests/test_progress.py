"""Build progress: live on a terminal, timed lines with --verbose, silent when piped, in CI or --quiet."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from conftest import run_cli

STAGES = ["read the snapshots and configuration", "rendered pages for 4 days, 71 papers, 9 topics",
          "wrote the feeds, sitemap and robots.txt", "made the e-mails of 4 days", "made the Markdown pages"]


def test_verbose_prints_every_stage_with_its_time(tmp_path, content_copy):
    result = run_cli("build", "--verbose", "--no-search", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for stage in STAGES:
        assert any(line.startswith(f"digest: {stage} (") and line.endswith(" s)") for line in lines), stage
    assert any(line.startswith("digest: swapped in the new site of ") and " files (" in line for line in lines)


def test_piped_output_is_one_summary_line_and_quiet_is_silent(tmp_path, content_copy):
    result = run_cli("build", "--no-search", "--content", content_copy, "--out", tmp_path / "site")
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("digest: built 4 days, 71 papers")
    quiet = run_cli("build", "--quiet", "--no-search", "--content", content_copy, "--out", tmp_path / "site")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def _build_on_a_terminal(tmp_path, content, environ) -> str:
    """Run a build with its stderr on a pseudo-terminal; returns what the terminal received."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(environ, TERM="xterm-256color", COLUMNS="100")
    process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--no-search", "--content", str(content),
                                "--out", str(tmp_path / "site")], stderr=terminal, stdout=subprocess.DEVNULL,
                               env=env)
    os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the build is over
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0
    return received.decode("utf-8", "replace")


def test_a_terminal_gets_a_live_status_line(tmp_path, content_copy):
    shown = _build_on_a_terminal(tmp_path, content_copy, {})
    # The spinner redraws a few times a second, so a fast stage may never be drawn; the stage
    # running when the build ends always is, as the status is drawn once more when it stops.
    assert "digest: saved the build cache" in shown
    assert "\x1b[" in shown  # drawn and cleared with terminal control sequences


def test_a_terminal_in_ci_stays_quiet(tmp_path, content_copy):
    assert _build_on_a_terminal(tmp_path, content_copy, {"CI": "true"}) == ""


def test_a_warning_on_a_terminal_is_one_line_whatever_its_width(tmp_path, content_copy):
    """While the live status shows, a warning went through rich, which wrapped it at the
    terminal's width: four lines at 100 columns."""
    (content_copy / "snapshots" / "notes-about-these-snapshots-kept-here-by-their-editor.doc").write_text("hi")
    shown = _build_on_a_terminal(tmp_path, content_copy, {})
    warnings = [line for line in re.split(r"[\r\n]+", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown))
                if "warning" in line]
    assert warnings and all(line.startswith("digest: warning: ") for line in warnings), warnings
    assert any(len(line) > 100 for line in warnings), warnings  # longer than the terminal is wide
