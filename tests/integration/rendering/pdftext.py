"""Reading PDFs in tests: text per page (pdftotext when installed, else pypdf) and images."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader


def pages_text(pdf: bytes, layout: bool = True) -> list[str]:
    """The text of every page, in layout order (or, `layout=False`, in the order it was drawn,
    diagonal text such as the draft watermark included)."""
    if shutil.which("pdftotext"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "doc.pdf"
            path.write_bytes(pdf)
            mode = "-layout" if layout else "-raw"
            out = subprocess.run(["pdftotext", mode, str(path), "-"], capture_output=True, check=True).stdout
        return out.decode().split("\f")[: len(PdfReader(io.BytesIO(pdf)).pages)]
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def text(pdf: bytes, layout: bool = True) -> str:
    return "\n".join(pages_text(pdf, layout))


def flat(value: str) -> str:
    """Whitespace (incl. the no-break spaces of formatted numbers) as single spaces."""
    return " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())


def image_count(pdf: bytes, page: int = 0) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages[page].images)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_size(pdf: bytes, page: int = 0) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[page].mediabox
    return float(box.width), float(box.height)
