"""Factur-X PDFs: `finish_pdf(render input, pdf bytes) -> pdf bytes` is all the renderer calls.
Chromium's PDF of an issued Factur-X document is converted to PDF/A-3 by Ghostscript, the CII XML embedded by
`factur-x` (file factur-x.xml, AFRelationship Data, Factur-X XMP extension schema).

Ghostscript needs an sRGB ICC profile for the output intent: BILLWIRE_ICC_PROFILE, else the
first of ICC_CANDIDATES found (Debian: icc-profiles-free ships /usr/share/color/icc/sRGB.icc;
Ghostscript's own copy is the fallback). Everything runs offline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from billwire_shared.contracts.rendering import RenderInput
from billwire_shared.document_titles import TITLES
from billwire_shared.errors import BillwireError, ErrorCode

log = logging.getLogger("billwire.rendering")

ICC_CANDIDATES = (
    "/usr/share/color/icc/sRGB.icc",
    "/usr/share/color/icc/ghostscript/srgb.icc",
    "/usr/share/ghostscript/iccprofiles/srgb.icc",
)
GS_TIMEOUT = 60.0
# Ghostscript's lib/PDFA_def.ps, with the profile's path and the title filled in.
PDFA_DEF = """%!
[ /Title ({title}) /DOCINFO pdfmark
/ICCProfile ({icc}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} <<
  /Type /OutputIntent
  /S /GTS_PDFA1
  /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB)
  /Info (sRGB IEC61966-2.1)
>> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


class PdfaUnavailable(RuntimeError):
    """Ghostscript or an sRGB profile is missing: a Factur-X PDF cannot be made here."""


@cache
def ghostscript() -> str:
    found = shutil.which(os.environ.get("BILLWIRE_GHOSTSCRIPT", "gs"))
    if not found:
        raise PdfaUnavailable("Ghostscript (gs) is not installed: apt-get install ghostscript")
    return found


@cache
def icc_profile() -> str:
    for candidate in (os.environ.get("BILLWIRE_ICC_PROFILE"), *ICC_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    raise PdfaUnavailable("no sRGB ICC profile found: apt-get install icc-profiles-free, or set BILLWIRE_ICC_PROFILE")


def _ps_string(text: str) -> str:
    """A PostScript string literal's content: ASCII only, parentheses and backslashes escaped."""
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


async def to_pdfa3(pdf: bytes, title: str) -> bytes:
    """The PDF as PDF/A-3b: fonts embedded, colours in sRGB, an sRGB output intent, XMP."""
    gs, icc = ghostscript(), icc_profile()
    with tempfile.TemporaryDirectory(prefix="billwire-pdfa-") as tmp:
        src, out, definition = Path(tmp, "in.pdf"), Path(tmp, "out.pdf"), Path(tmp, "PDFA_def.ps")
        src.write_bytes(pdf)
        definition.write_text(PDFA_DEF.format(title=_ps_string(title), icc=_ps_string(icc)))
        proc = await asyncio.create_subprocess_exec(
            gs, "-q", "-dPDFA=3", "-dBATCH", "-dNOPAUSE", "-dNOOUTERSAVE", "-dSAFER", "-dPDFACompatibilityPolicy=1",
            f"--permit-file-read={icc}", "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite",
            f"-sOutputFile={out}", str(definition), str(src),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(proc.communicate(), GS_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError(f"Ghostscript took longer than {GS_TIMEOUT} s") from None
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"Ghostscript failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
        return out.read_bytes()


def _embed(pdfa: bytes, xml: bytes, title: str, author: str, subject: str, lang: str) -> bytes:
    from facturx import generate_from_binary

    return generate_from_binary(
        pdfa, xml, flavor="factur-x", level="en16931", check_xsd=False, lang=lang, afrelationship="data",
        pdf_metadata={"author": author, "keywords": "Factur-X, e-invoice", "title": title, "subject": subject},
    )


async def facturx_pdf(pdf: bytes, xml: bytes, *, title: str, author: str, subject: str, lang: str) -> bytes:
    """Chromium's PDF as a Factur-X (EN 16931) PDF/A-3 with `xml` embedded as factur-x.xml."""
    pdfa = await to_pdfa3(pdf, title)
    return await asyncio.to_thread(_embed, pdfa, xml, title, author, subject, lang)


async def finish_pdf(source: RenderInput, pdf: bytes) -> bytes:
    """An issued Factur-X document's PDF becomes PDF/A-3 with its CII XML; others (drafts'
    previews included) stay as they are."""
    doc = source.document
    if doc.status == "draft" or source.einvoice is None or source.einvoice.export_type != "factur-x":
        return pdf
    title = f"{TITLES.get(doc.language, {}).get(doc.type, doc.type)} {doc.number or ''}".strip()
    try:
        return await facturx_pdf(pdf, source.einvoice.xml, title=title, author=source.seller.company_name or "",
                                 subject=title, lang=doc.language)
    except PdfaUnavailable as exc:
        log.error("Factur-X PDF of %s not possible: %s", doc.id, exc)
        raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, f"The Factur-X PDF cannot be made on this server: {exc}") from exc
    except RuntimeError as exc:
        log.error("Factur-X PDF of %s failed: %s", doc.id, exc)
        raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, "The Factur-X PDF could not be made now; try again.") from exc
