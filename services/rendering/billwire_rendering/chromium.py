"""Finding Chromium: the configured path, Playwright's own build (installed with `playwright
install chromium` when missing and downloadable), then the system's headless shell
(`/usr/bin/chromium-headless-shell`), then its full Chromium (`/usr/bin/chromium`); the choice is
logged, and none found is a clear error naming the fix. The headless shell is what Playwright
itself launches for headless work: full Chromium starts a print compositor process for every
PDF (about 20 ms of CPU each), the shell prints in place, about half the CPU per PDF.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("billwire.rendering.browser")

SYSTEM_CHROMIUM = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class ChromiumNotFound(RuntimeError):
    """No usable Chromium; the message names the fix."""


@dataclass(frozen=True)
class Chromium:
    path: str
    origin: str  # "configured", "playwright" or "system"


def _executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)  # type: ignore[arg-type]


_install_tried = False
INSTALL_RETRY_SECONDS = 24 * 3600  # after a failed download, fall back without trying for a day


def _install_marker() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "billwire" / "playwright-install-failed"


def playwright_install(timeout: float = 600.0) -> bool:
    """`playwright install chromium`, at most once per process (and once a day after a failure,
    which a marker file remembers); False when it cannot download."""
    global _install_tried
    marker = _install_marker()
    if _install_tried:
        return False
    _install_tried = True
    with contextlib.suppress(OSError):
        if time.time() - marker.stat().st_mtime < INSTALL_RETRY_SECONDS:
            log.info("not downloading Playwright's Chromium: it failed less than a day ago (%s)", marker)
            return False
    log.info("Playwright's Chromium is missing; trying `playwright install chromium` ...")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, check=False,
        )
        failed = done.returncode != 0
        output = done.stderr or done.stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        failed, output = True, repr(exc)
    if failed:
        reason = next((line.strip() for line in output.splitlines() if "error" in line.lower()), output.strip()[:200])
        log.warning("playwright install chromium failed (%s); falling back to the system's Chromium", reason[:200])
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return not failed


def find_chromium(configured: str = "", playwright_path: str | None = None, install: bool = True,
                  system: tuple[str, ...] = SYSTEM_CHROMIUM) -> Chromium:
    """The configured path, Playwright's Chromium (installed if missing and possible), the system's."""
    if configured:
        if _executable(configured):
            return Chromium(configured, "configured")
        raise ChromiumNotFound(
            f"BILLWIRE_CHROMIUM_EXECUTABLE={configured!r} is not an executable file; fix the path or unset it "
            "to use Playwright's or the system's Chromium."
        )
    if playwright_path:
        if _executable(playwright_path):
            return Chromium(playwright_path, "playwright")
        if install and playwright_install() and _executable(playwright_path):
            return Chromium(playwright_path, "playwright")
    for path in system:
        if _executable(path) or _executable(shutil.which(Path(path).name)):
            return Chromium(path if _executable(path) else shutil.which(Path(path).name) or path, "system")
    raise ChromiumNotFound(
        "No Chromium found: install one with `apt-get install -y chromium-headless-shell` (or `chromium`; Debian/Ubuntu) or "
        "`uv run playwright install chromium`, or set BILLWIRE_CHROMIUM_EXECUTABLE to a Chromium binary."
    )
