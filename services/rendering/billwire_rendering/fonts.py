"""TrueType copies of the templates' CFF fonts, so Chromium embeds real fonts in the PDFs.

Chromium's PDF backend (Skia) subsets and embeds TrueType outlines, but prints fonts with CFF
outlines (OpenType `.otf`, as Debian's `fonts-inter` ships Inter) as Type 3 glyph drawings:
about three times the bytes (every PDF is stored, fetched and e-mailed) and no real font in
the file. So the CFF files of the families the templates name are converted once with
fontTools (cubic to quadratic outlines) into a cache directory, and Chromium reads a
fontconfig file that adds that directory and hides the originals. Nothing else changes: the
same family names, the same glyphs.

`python -m billwire_rendering.fonts DIR` prepares DIR ahead of time (the container image does).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

log = logging.getLogger("billwire.rendering")
FAMILIES = ("Inter",)  # the families the templates' stylesheets put first
CONFIG_NAME = "fonts.conf"


def default_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "billwire" / "fonts"


def cff_fonts(families: tuple[str, ...] = FAMILIES) -> list[Path]:
    """The installed font files of `families` with CFF outlines (none without fontconfig)."""
    if shutil.which("fc-list") is None:
        return []
    found: set[Path] = set()
    for family in families:
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\n", f"{family}:fontformat=CFF"], capture_output=True, text=True, check=False,
        )
        found.update(Path(line) for line in listed.stdout.splitlines() if line.strip())
    return sorted(found)


def prepare(directory: Path, sources: list[Path] | None = None) -> Path | None:
    """Convert what is not converted yet and write the fontconfig file; returns its path, or
    None when there is nothing to convert (Chromium then keeps the system's fonts)."""
    sources = cff_fonts() if sources is None else sources
    if not sources:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    for source in sources:
        target = directory / converted_name(source)
        if not target.exists():
            log.info("converting %s to TrueType for the PDFs", source)
            partial = target.with_suffix(f".{os.getpid()}.part")
            to_truetype(source, partial)
            partial.replace(target)  # atomic: a replica starting alongside sees all or nothing
    config = directory / CONFIG_NAME
    text = fontconfig(directory, sources)
    if not config.exists() or config.read_text() != text:
        partial = config.with_suffix(f".{os.getpid()}.part")
        partial.write_text(text)
        partial.replace(config)
    return config


def converted_name(source: Path) -> str:
    """Named after the source file and its size and time: an updated font is converted anew."""
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return f"{source.stem}-{key}.ttf"


def fontconfig(directory: Path, sources: list[Path]) -> str:
    rejected = "".join(f"<glob>{escape(str(source))}</glob>" for source in sources)
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by billwire_rendering.fonts: the system's fonts, with TrueType copies of the CFF ones. -->
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{escape(str(directory))}</dir>
  <selectfont><rejectfont>{rejected}</rejectfont></selectfont>
  <cachedir>{escape(str(directory / "cache"))}</cachedir>
</fontconfig>
"""


def to_truetype(source: Path, target: Path) -> None:
    """An OpenType CFF font as the same font with TrueType (quadratic) outlines."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(source)
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_set.keys():
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():  # TrueType's left side bearing is the outline's xMin
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(target)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    written = prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir())
    print(written or "no CFF fonts of " + ", ".join(FAMILIES) + " installed: nothing to convert")
