"""Rendering without any browser: the service runs, PDFs answer 503 RENDERER_UNAVAILABLE naming
the fix, /ready says why rendering is not ready, a browser that appears later is used without a
restart, and one that goes away under a running service is noticed the same way."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from billwire_rendering.chromium import find_chromium
from tests.integration.rendering.pools import browser_processes
from tests.stack import BUYER, Stack, ready_account


async def test_rendering_starts_without_a_browser_and_uses_one_once_it_appears(stack: Stack, tmp_path: Path) -> None:
    chromium = tmp_path / "bin" / "chromium"  # not there (yet)
    async with stack.rendering_service(chromium_executable=str(chromium), chromium_recheck_interval=0.3) as service:
        api = await ready_account(stack)
        draft = await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "Work", "unit_price": "10"}]})
        assert draft.status_code == 201, draft.text
        invoice = draft.json()

        pdf = await api.get(f"/invoices/{invoice['id']}/pdf")
        assert pdf.status_code == 503, pdf.text
        assert pdf.headers["retry-after"].isdigit()
        error = pdf.json()["error"]
        assert error["code"] == "RENDERER_UNAVAILABLE"
        assert "BILLWIRE_CHROMIUM_EXECUTABLE" in error["message"] and str(chromium) in error["message"]

        ready = await api.get("/ready")
        assert ready.status_code == 200, ready.text  # the API itself works
        rendering = ready.json()["services"]["rendering"]
        assert rendering["ready"] is False and rendering["database"] is True
        assert "no browser" in rendering["reason"] and "BILLWIRE_CHROMIUM_EXECUTABLE" in rendering["reason"]

        # Issuing works meanwhile: the finalize event is not rendered ahead, and not retried.
        finalized = await api.post(f"/invoices/{invoice['id']}/finalize")
        assert finalized.status_code == 200, finalized.text
        assert (await api.get(f"/invoices/{invoice['id']}/pdf")).status_code == 503

        chromium.parent.mkdir()
        os.symlink(find_chromium(install=False).path, chromium)  # a browser appears
        async with asyncio.timeout(30):
            while not service.ready_check():
                await asyncio.sleep(0.1)
        rendering = (await api.get("/ready")).json()["services"]["rendering"]
        assert rendering["ready"] is True and rendering["reason"] == ""
        pdf = await api.get(f"/invoices/{invoice['id']}/pdf")
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        pdf_bytes = pdf.content
        assert service.browser is not None and service.browser.chromium.path == str(chromium)

        # The browser goes away under a running service (uninstalled, then its process dies): the
        # pool cannot start another, rendering says so, and takes the next browser that appears.
        os.unlink(chromium)
        for process in browser_processes():
            process.kill()
        async with asyncio.timeout(60):
            while service.browser is not None:
                await asyncio.sleep(0.1)
        another = await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "More", "unit_price": "5"}]})
        pdf = await api.get(f"/invoices/{another.json()['id']}/pdf")
        assert pdf.status_code == 503 and pdf.json()["error"]["code"] == "RENDERER_UNAVAILABLE", pdf.text
        assert "BILLWIRE_CHROMIUM_EXECUTABLE" in (await api.get("/ready")).json()["services"]["rendering"]["reason"]
        issued = await api.get(f"/invoices/{invoice['id']}/pdf")
        assert issued.status_code == 200 and issued.content == pdf_bytes  # a stored PDF needs no browser

        os.symlink(find_chromium(install=False).path, chromium)
        async with asyncio.timeout(30):
            while not service.ready_check():
                await asyncio.sleep(0.1)
        pdf = await api.get(f"/invoices/{another.json()['id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
