"""The tax-audit archive as the year grows: `uv run python -m bench archive [--quick]`.

One account on the invoices, rendering and gateway services: one invoice is issued through the
API and its PDF rendered in Chromium, then the invoice and its stored PDF are copied in SQL up to
1,000 and 10,000 documents (setup, not measured). Each size's `GET /api/v1/archive?year=` is then
downloaded once while the gateway's memory (PSS) is sampled every 50 ms: the table shows the
time, documents per second, the ZIP's size and the gateway's peak memory above its level before
the download. Flat memory means the 10,000-document peak is about the 1,000-document one.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg
import httpx

from bench.flows import stack
from bench.footprint import pss_mb
from bench.infra import Infra
from bench.scale_bench import _grow, seed_invoice

_COPY_PDFS = """
INSERT INTO rendering.artifacts (id, account_id, document_id, document_type, version, preview, kind, filename,
                                 media_type, size, sha256, template, language, data, created_at)
SELECT gen_random_uuid(), a.account_id, d.id, a.document_type, d.version, false, a.kind, d.number || '.pdf',
       a.media_type, a.size, a.sha256, a.template, a.language, a.data, now()
FROM rendering.artifacts a
JOIN invoices.documents d ON d.account_id = a.account_id AND d.id <> a.document_id
WHERE a.document_id = $1 AND NOT a.preview AND a.kind = 'pdf'
ON CONFLICT DO NOTHING
"""


# The copies keep the seed's creation time inside `data`; the export pages by it, as it would
# for documents made one by one.
_CREATED_AT = """
UPDATE invoices.documents SET data = jsonb_set(data, '{created_at}', to_jsonb(created_at))
WHERE account_id = (SELECT account_id FROM invoices.documents WHERE id = $1) AND data->>'created_at' IS DISTINCT FROM
      to_jsonb(created_at) #>> '{}'
"""


async def _copy_pdfs(database_url: str, seed_id: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(_CREATED_AT, uuid.UUID(seed_id))
        await conn.execute(_COPY_PDFS, uuid.UUID(seed_id))
    finally:
        await conn.close()


def _download(base: str, key: str, gateway_pid: int, target: Path) -> tuple[float, float, float, int]:
    """Seconds, MB before, MB peak (gateway PSS) and the ZIP's member count."""
    before, peak, stop = pss_mb(gateway_pid), [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], pss_mb(gateway_pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with httpx.stream("GET", f"{base}/api/v1/archive", params={"year": datetime.now(UTC).year},
                      headers={"Authorization": f"Bearer {key}"}, timeout=600) as response, target.open("wb") as out:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            out.write(chunk)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    with zipfile.ZipFile(target) as archive:
        members = len(archive.namelist())
    return elapsed, before, max(peak[0], before), members


def run(quick: bool = False) -> int:
    sizes = (1_000, 10_000) if not quick else (200, 2_000)
    rows = []
    with Infra() as infra, stack(infra, ("invoices", "rendering", "gateway")) as running, TemporaryDirectory() as tmp:
        seed_id = asyncio.run(seed_invoice(running.base, running.key, running.client_id, with_pdf=True))
        have = 1
        for size in sizes:
            print(f"[archive] {size:,} issued documents in the account ...", flush=True)
            asyncio.run(_grow(infra.database_url, seed_id, have, size))
            asyncio.run(_copy_pdfs(infra.database_url, seed_id))
            have = size
            target = Path(tmp) / f"archive-{size}.zip"
            elapsed, before, peak, members = _download(running.base, running.key, running.pids["gateway"], target)
            rows.append((size, elapsed, target.stat().st_size, members, before, peak))
            target.unlink()
    print("\nThe tax-audit archive: one download per size; gateway memory is PSS, sampled every 50 ms")
    print("| documents | seconds | documents/s | ZIP MB | files | gateway before MB | gateway peak MB | peak - before |")
    print("|---|---|---|---|---|---|---|---|")
    for size, elapsed, zip_bytes, members, before, peak in rows:
        print(f"| {size:,} | {elapsed:.1f} | {size / elapsed:.0f} | {zip_bytes / 1e6:.1f} | {members:,} | {before:.0f} | {peak:.0f} | {peak - before:+.0f} |")
    return 0
