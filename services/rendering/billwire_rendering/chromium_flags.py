"""How the rendering service starts Chromium and Playwright's driver: what every flag saves or locks down."""

LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    # Printing needs no compositor thread and no GPU process (there is no GPU): without them a
    # PDF costs about a quarter less CPU and fewer hand-offs between threads and processes, and
    # prints the same pixels.
    "--in-process-gpu", "--disable-threaded-compositing",
    # Without the sandbox the zygotes (two processes that pre-fork renderers) only cost memory,
    # about 15 MB: renderers are forked from the browser process itself.
    "--no-zygote",
    # The caches and heaps of a small device: a page's renderer grew from ~25 MB to ~100 MB within
    # its first 50 PDFs and stayed there; with these it stays near 50 MB, at the same PDFs per
    # second, and prints the same bytes (text, fonts, images compared).
    "--enable-low-end-device-mode",
    # The network service (every request is aborted anyway) as a thread of the browser process
    # rather than a process of its own: about 14 MB. Chromium reads only the last
    # --enable-features, so Playwright's own two are repeated here.
    "--enable-features=NetworkServiceInProcess2,CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies",
]
# Playwright's driver (Node.js) takes no options of its own, only its environment: a 2 MB young
# generation instead of V8's default 16 MB (about 13 MB less for as long as it runs), and one glibc
# malloc arena instead of one per thread (its worker threads' arenas: 111 against 116-119 MB after
# 2,000 sends, at the same send rate). Chromium allocates through its own PartitionAlloc.
DRIVER_ENV = {"NODE_OPTIONS": "--max-semi-space-size=2", "MALLOC_ARENA_MAX": "1"}
# Belt and braces under the request router: should anything slip past it (a meta refresh's
# navigation did), it goes to a proxy that is not there, loopback included.
BLACKHOLE_PROXY = {"server": "http://127.0.0.1:9", "bypass": "<-loopback>"}
