"""`python -m billwire_cli.browser_setup` (run by `make run` and `make test`): get a browser for PDFs.

Rendering prints PDFs with a headless Chromium and the fonts its templates name. This step gets
them where it can, and says what it does:

1. a usable Chromium already there (BILLWIRE_CHROMIUM_EXECUTABLE, Playwright's build, the
   system's) is kept; a wrong BILLWIRE_CHROMIUM_EXECUTABLE is reported, never worked around;
2. else Playwright's own download (`playwright install chromium`; after a failed one, not
   again for a day);
3. else, as root on Debian or Ubuntu, the distribution's `chromium-headless-shell` and the
   fonts, with apt-get (missing fonts are installed this way even when a browser is there).

Where none of that works it says how to get one and exits 0 all the same: the system then runs
without PDFs (they answer 503 RENDERER_UNAVAILABLE) until a browser is installed, which the
rendering service notices by itself.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from billwire_rendering.chromium import (
    SYSTEM_CHROMIUM,
    Chromium,
    ChromiumNotFound,
    find_chromium,
    playwright_install,
)

# The families the templates name, in their order, and the Debian/Ubuntu package of each
# (the same packages .ci/run installs).
FONT_PACKAGES = {
    "Inter": "fonts-inter",
    "Liberation Sans": "fonts-liberation2",
    "DejaVu Sans": "fonts-dejavu-core",
    "Noto Color Emoji": "fonts-noto-color-emoji",
}
APT_BROWSER = ("chromium-headless-shell", "/usr/bin/chromium-headless-shell")  # package, the binary it installs
APT_TIMEOUT = 900.0


def missing_font_families() -> list[str]:
    """The templates' font families fontconfig does not know (all of them without fontconfig)."""
    if shutil.which("fc-list") is None:
        return list(FONT_PACKAGES)
    listed = subprocess.run(["fc-list", "--format", "%{family}\n"], capture_output=True, text=True, check=False)
    known = {name.strip().lower() for line in listed.stdout.splitlines() for name in line.split(",")}
    return [family for family in FONT_PACKAGES if family.lower() not in known]


def apt_command(packages: list[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def install_hint(fonts: list[str]) -> str:
    """How to get a browser (and the missing fonts) by hand."""
    packages = [APT_BROWSER[0], *(FONT_PACKAGES[family] for family in fonts)]
    return (f"`{apt_command(packages)}` (Debian/Ubuntu), or `uv run playwright install chromium`, or set "
            "BILLWIRE_CHROMIUM_EXECUTABLE to a Chromium binary")


def debian_like(os_release: Path = Path("/etc/os-release")) -> bool:
    try:
        text = os_release.read_text()
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    family = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".replace('"', "").split()
    return bool({"debian", "ubuntu"} & set(family)) and shutil.which("apt-get") is not None


def can_apt() -> bool:
    return os.geteuid() == 0 and debian_like()


def apt_install(packages: list[str], say: Callable[[str], None]) -> bool:
    """apt-get update, then install `packages`; True when apt-get succeeded."""
    say(f"installing with apt-get: {' '.join(packages)}")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    lock_wait = ["-o", "DPkg::Lock::Timeout=120"]  # another apt-get (CI's, a neighbour's) finishes first
    for command in (["apt-get", *lock_wait, "update", "-qq"],
                    ["apt-get", *lock_wait, "install", "-y", "-qq", "--no-install-recommends", *packages]):
        try:
            done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=APT_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            say(f"`{' '.join(command)}` failed: {exc}")
            return False
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            say(f"`{' '.join(command)}` failed (exit code {done.returncode}): {lines[-1] if lines else ''}")
            return False
    return True


def _found(configured: str, playwright_path: str | None, system: tuple[str, ...]) -> Chromium | None:
    try:
        return find_chromium(configured, playwright_path, install=False, system=system)
    except ChromiumNotFound:
        return None


def ensure_browser(
    say: Callable[[str], None], *, configured: str | None = None, playwright_path: str | None = None,
    system: tuple[str, ...] = SYSTEM_CHROMIUM, download: bool = True, apt: bool | None = None,
) -> Chromium | None:
    """A usable Chromium (got as the module docstring says), or None after saying how to get one."""
    configured = os.environ.get("BILLWIRE_CHROMIUM_EXECUTABLE", "") if configured is None else configured
    apt = can_apt() if apt is None else apt
    fonts = missing_font_families()
    chromium = _found(configured, playwright_path, system)
    if configured and chromium is None:
        say(f"BILLWIRE_CHROMIUM_EXECUTABLE={configured!r} is not an executable file; fix the path or unset it. "
            "Until then PDFs answer 503 RENDERER_UNAVAILABLE.")
        return None
    if chromium is None and download and playwright_path:
        if playwright_install():
            chromium = _found(configured, playwright_path, system)
    packages = ([] if chromium else [APT_BROWSER[0]]) + [FONT_PACKAGES[family] for family in fonts]
    if packages and apt and apt_install(packages, say):
        fonts = missing_font_families()
        if chromium is None and os.access(APT_BROWSER[1], os.X_OK):
            chromium = Chromium(APT_BROWSER[1], "system")
    if fonts:
        say(f"fonts missing: {', '.join(fonts)}; PDFs use fallbacks. Install them with "
            f"`{apt_command([FONT_PACKAGES[family] for family in fonts])}` (Debian/Ubuntu).")
    if chromium is None:
        say(f"no Chromium for PDFs. Billwire runs without PDFs (503 RENDERER_UNAVAILABLE) until one is there; "
            f"get one with {install_hint(fonts)}. Rendering notices it without a restart.")
        return None
    say(f"Chromium for PDFs: {chromium.path} ({chromium.origin})")
    return chromium


def playwright_chromium_path() -> str | None:
    """Where Playwright's Chromium is (or would be) installed; None when Playwright cannot say."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            return pw.chromium.executable_path
    except Exception:  # noqa: BLE001 - no driver, no answer: the other sources remain
        return None


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="browser: %(message)s")

    def say(text: str) -> None:
        print(f"browser: {text}", flush=True)

    ensure_browser(say, playwright_path=playwright_chromium_path(),
                   download=os.environ.get("BILLWIRE_CHROMIUM_INSTALL", "true").lower() not in ("0", "false", "no"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
