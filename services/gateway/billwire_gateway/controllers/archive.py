"""GET /api/v1/archive?year=: the tax-audit ZIP of a year (see billwire_gateway.archive)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Stream

from billwire_gateway.deps import BusDep, CallerDep


class ArchiveController(Controller):
    path = "/archive"
    tags = ["reports"]

    @get(summary="The tax-audit archive (GoBD) of a year: every issued document's PDF and e-invoice XML as sent, an"
         " index in CSV and JSON with each file's SHA-256, the payments and the audit log, with a manifest of"
         " checksums; streamed as a ZIP", media_type="application/zip")
    async def archive(
        self, caller: CallerDep, bus: BusDep, year: Annotated[int, QueryParameter(ge=1900, le=9999)],
    ) -> Stream:
        # Imported with the first archive asked for (a yearly export): the ZIP writer and its
        # AES (stream_zip, pycryptodome) cost the gateway about 2.5 MB from its start otherwise.
        from billwire_gateway.archive import ArchiveBuilder

        builder = ArchiveBuilder(bus, caller, year)
        await builder.prepare()
        return Stream(builder.stream(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="billwire-archive-{year}.zip"',
            "Cache-Control": "private, no-store",
        })
