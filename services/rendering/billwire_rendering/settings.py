"""The rendering service's settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

from billwire_shared.service import ServiceSettings


class RenderingSettings(ServiceSettings, kw_only=True, frozen=True):
    # Chromium: this path, else Playwright's own build, else the system's headless shell
    # (/usr/bin/chromium-headless-shell, half the CPU per PDF), else /usr/bin/chromium.
    chromium_executable: str = ""
    # Run `playwright install chromium` when Playwright's build is missing (and downloadable).
    chromium_install: bool = True
    # Without a usable Chromium the service runs anyway (PDFs answer 503 RENDERER_UNAVAILABLE) and
    # looks for one again this often, in seconds.
    chromium_recheck_interval: float = 30.0
    # Seconds without a render after which the browser and Playwright's driver are closed (about
    # 310 MB back); the next render launches them again (1-3 s). 0: the browser starts
    # with the service and stays (the default); `billwire run` sets 300. See on_demand.py.
    browser_idle_close_seconds: float = 0.0
    render_pages: int = 2  # pages printing at once (one browser per replica)
    render_timeout: float = 20.0  # seconds for one PDF before the browser is replaced
    render_restart_after: int = 1000  # renders before a fresh browser takes over
    # Documents one page prints before a new page replaces it: Chromium's work per document grows
    # with each one a page has held (about +1 ms CPU per 100).
    render_page_reuse: int = 150
    # Documents one page prints between two garbage collections of its renderer (0: Chromium's own
    # timing, which let each renderer swing up to ~120 MB); see browser.py.
    render_collect_every: int = 10
    render_queue: int = 32  # renders that may wait for a page; more are refused (503)
    # Renders one account may have waiting or printing in a replica; more are refused (503). Free pages go
    # to the accounts in turn (see fairness.py).
    render_account_in_flight: int = 16
    # Documents estimated at more pages than this print in the large lane, which holds all pages but
    # one: a small document never waits behind large ones.
    render_large_pages: int = 10
    # A PDF of more pages is not stored: 422 DOCUMENT_TOO_LONG (a send of it fails with that reason).
    render_max_pages: int = 400
    # Issued PDFs kept in memory (MB, newest first) for the mailer, which fetches a send's PDF right
    # after it was printed; an older one is read from the database.
    render_recent_pdfs_mb: int = 32
    # TrueType copies of the templates' CFF fonts go here (empty: ~/.cache/billwire/fonts); Chromium
    # embeds those as real fonts, CFF ones as Type 3 drawings three times the size. See fonts.py.
    fonts_dir: str = ""
    convert_fonts: bool = True  # false: Chromium uses the system's fonts as installed (CFF ones as Type 3)
