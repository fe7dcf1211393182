"""Hostile document content: nothing runs, nothing is fetched, the layout holds.

A local TCP socket listens where the content points (img, link, CSS url() and @import,
iframe); it must see no connection at all, whether the content arrives as escaped user text
(the normal path) or even as raw HTML given straight to the locked-down browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from billwire_rendering.browser import BrowserPool
from billwire_rendering.templates import render_page
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Address
from tests.integration.rendering.pdftext import flat, page_count, pages_text, text
from tests.integration.rendering.pools import running_pool
from tests.integration.rendering.samples import make_input, make_lines

LONG_WORD = "Donaudampfschiff" * 312 + "ende"  # 4,996 characters, no break opportunity
RTL = "שלום עולם — مرحبا بالعالم"
EMOJI = "🚀 Launch 🎉"


class Listener:
    """A socket that counts connections (and HTTP requests) made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aenter__(self) -> Listener:
        self.server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]


def payload(port: int, refresh: bool = True) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        f"<script>document.body.innerHTML='EXECUTED'</script>"
        f"<img src=\"{base}/img.png\" onerror=\"document.title='EXECUTED'\">"
        f"<link rel=\"stylesheet\" href=\"{base}/style.css\">"
        f"<style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}</style>"
        f"<div style=\"background-image:url({base}/inline.png)\">x</div>"
        f"<iframe src=\"file:///etc/passwd\"></iframe><object data=\"{base}/obj\"></object>"
        + (f"<meta http-equiv=\"refresh\" content=\"0;url={base}/refresh\">" if refresh else "")
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool() -> AsyncIterator[BrowserPool]:
    async with running_pool(pages=1) as browser:
        yield browser


async def test_hostile_user_text_is_printed_as_text_and_fetches_nothing(pool: BrowserPool) -> None:
    async with Listener() as listener:
        hostile = payload(listener.port)
        lines = make_lines([
            (hostile, "1", "h", "100.00", "19"),
            (LONG_WORD, "2", "pcs", "50.00", "19"),
            (RTL, "1", None, "10.00", "7"),
            (EMOJI + " " + hostile, "1", "<b>", "1.00", "19"),
        ])
        client = ClientSnapshot(
            name=f"Evil {hostile}", client_number="<script>",
            address=Address(street=f"{RTL} 1", city="<iframe src=file:///etc/passwd>", zip="1", country="IL"),
        )
        source = make_input(lines=lines, client=client, introduction=hostile + "\n" + LONG_WORD, notes=RTL + " " + EMOJI)
        page = render_page(source)
        assert "<script>" not in page.html.split("</head>")[1]  # escaped everywhere in the body
        pdf = await pool.render(page.html, page.footer)
        await asyncio.sleep(0.5)
        assert listener.connections == 0

    content = flat(text(pdf))
    assert "EXECUTED" not in content.replace("innerHTML='EXECUTED'", "").replace("title='EXECUTED'", "")
    assert "<script>document.body.innerHTML='EXECUTED'</script>" in content  # shown, not run
    assert "root:x:0" not in content
    assert EMOJI.split()[1] in content and "Launch" in content
    assert "שלום" in content or "םולש" in content  # extraction may reverse RTL runs
    # Layout: the long word wraps inside its cell; every amount and the totals are intact.
    assert page_count(pdf) <= 8
    for amount in ("€100.00", "€50.00", "€10.00", "€1.00", "€211.00", "VAT 19% on €201.00 €38.19", "Total €249.89"):
        assert amount in content, amount
    first = flat(pages_text(pdf)[0])
    assert "Invoice INV-2026-0001" in first and "Globex" not in first and "Evil" in first


async def test_even_raw_html_cannot_run_script_or_reach_the_network(pool: BrowserPool) -> None:
    """Defence in depth: the browser itself is locked down, escaping aside."""
    async with Listener() as listener:
        html = (
            "<!DOCTYPE html><html><head>" + payload(listener.port, refresh=False) + "</head><body><p>BODY-TEXT</p>"
            + payload(listener.port, refresh=False)
            + "<script>document.querySelector('p').textContent='EXECUTED'</script>"
            + f"<svg><image href=\"http://127.0.0.1:{listener.port}/svg.png\"/></svg>"
            + f"<video src=\"http://127.0.0.1:{listener.port}/v.mp4\" autoplay></video></body></html>"
        )
        pdf = await pool.render(html)
        await asyncio.sleep(0.5)
        assert listener.connections == 0
        # A meta refresh is a navigation: aborted like every request (printing that page may fail).
        try:
            await pool.render("<html><head>" + payload(listener.port) + "</head><body>x</body></html>")
        except Exception:
            pass
        await asyncio.sleep(0.5)
        assert listener.connections == 0
    content = flat(text(pdf))
    assert "BODY-TEXT" in content and "EXECUTED" not in content and "root:x:0" not in content


async def test_a_renewed_page_is_as_locked_down_as_the_first() -> None:
    """Pages are replaced every `page_reuse` documents; the lock-down belongs to their context."""
    async with running_pool(pages=1, page_reuse=1) as pool:
        async with Listener() as listener:
            html = ("<!DOCTYPE html><html><head>" + payload(listener.port, refresh=False) + "</head><body><p>BODY-TEXT</p>"
                    "<script>document.querySelector('p').textContent='EXECUTED'</script></body></html>")
            pdfs = [await pool.render(html) for _ in range(3)]
            await asyncio.sleep(0.5)
            assert listener.connections == 0
        assert pool.pages_renewed >= 2
        for pdf in pdfs:
            content = flat(text(pdf))
            assert "BODY-TEXT" in content and "EXECUTED" not in content and "root:x:0" not in content
