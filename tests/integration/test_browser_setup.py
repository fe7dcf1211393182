"""`make run` / `make test` get a browser for PDFs where they can (billwire_cli.browser_setup):
one already there is kept, apt-get installs Debian's headless shell as root, and otherwise the
step says how to get one (and which fonts are missing) without stopping anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from billwire_cli.browser_setup import FONT_PACKAGES, can_apt, ensure_browser, missing_font_families


def hidden(tmp_path: Path) -> dict:
    """Every place a browser is looked for, empty."""
    return {"configured": "", "playwright_path": str(tmp_path / "playwright" / "chrome"), "system": (str(tmp_path / "none"),)}


def test_a_browser_already_there_is_kept_and_nothing_installed(tmp_path: Path) -> None:
    env = os.environ | {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path), "BILLWIRE_CHROMIUM_INSTALL": "false"}
    env.pop("BILLWIRE_CHROMIUM_EXECUTABLE", None)
    done = subprocess.run([sys.executable, "-m", "billwire_cli.browser_setup"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "browser: Chromium for PDFs: /usr/bin/chromium" in done.stdout and "installing" not in done.stdout


def test_without_a_browser_and_without_apt_it_says_how_to_get_one(tmp_path: Path) -> None:
    said: list[str] = []
    assert ensure_browser(said.append, **hidden(tmp_path), download=False, apt=False) is None
    text = " ".join(said)
    assert "apt-get install -y chromium-headless-shell" in text and "playwright install chromium" in text
    assert "RENDERER_UNAVAILABLE" in text and "installing" not in text


def test_a_wrong_configured_path_is_reported_not_worked_around(tmp_path: Path) -> None:
    said: list[str] = []
    missing = str(tmp_path / "chrome")
    assert ensure_browser(said.append, **hidden(tmp_path) | {"configured": missing}, download=False, apt=True) is None
    assert len(said) == 1 and f"BILLWIRE_CHROMIUM_EXECUTABLE={missing!r}" in said[0]


def test_missing_fonts_are_named_with_their_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))  # fontconfig knows no font at all
    assert missing_font_families() == list(FONT_PACKAGES)
    said: list[str] = []
    ensure_browser(said.append, download=False, apt=False)
    fonts = next(line for line in said if line.startswith("fonts missing"))
    assert "Inter" in fonts and "apt-get install -y fonts-inter fonts-liberation2 fonts-dejavu-core fonts-noto-color-emoji" in fonts
    assert said[-1].startswith("Chromium for PDFs: ")


@pytest.mark.skipif(not can_apt(), reason="apt-get installs only as root on Debian/Ubuntu (CI is)")
def test_as_root_on_debian_apt_gets_the_headless_shell(tmp_path: Path) -> None:
    said: list[str] = []
    chromium = ensure_browser(said.append, **hidden(tmp_path), download=False)
    assert said[0] == "installing with apt-get: chromium-headless-shell", said
    assert chromium is not None and chromium.path == "/usr/bin/chromium-headless-shell"
    assert said[-1] == "Chromium for PDFs: /usr/bin/chromium-headless-shell (system)"
