"""The templates' CFF fonts (Debian's Inter) as TrueType copies, and PDFs that embed real fonts."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from billwire_rendering import fonts
from billwire_rendering.templates import render_page
from tests.integration.rendering.pdftext import flat, text
from tests.integration.rendering.pools import running_pool
from tests.integration.rendering.samples import make_input


def font_subtypes(pdf: bytes) -> dict[str, str]:
    """Base font name -> subtype (Type0 fonts by their descendant's, e.g. CIDFontType2)."""
    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            subtype = font["/Subtype"]
            if subtype == "/Type0":
                subtype = font["/DescendantFonts"][0].get_object()["/Subtype"]
            found[str(font.get("/BaseFont", f"unnamed {len(found)}"))] = str(subtype)
    return found


def test_cff_fonts_are_converted_once_with_the_same_glyphs(tmp_path) -> None:
    sources = [p for p in fonts.cff_fonts() if p.stem in ("Inter-Regular", "Inter-Bold")]
    assert len(sources) == 2, "fonts-inter (CFF .otf) is installed by .ci/run"
    config = fonts.prepare(tmp_path, sources)
    assert config == tmp_path / "fonts.conf"
    for source in sources:
        converted = tmp_path / fonts.converted_name(source)
        original, copy = TTFont(source), TTFont(converted)
        assert copy.sfntVersion == "\x00\x01\x00\x00" and "glyf" in copy and "CFF " not in copy
        assert copy.getGlyphOrder() == original.getGlyphOrder()
        assert copy.getBestCmap() == original.getBestCmap()
        assert copy["name"].getDebugName(1) == original["name"].getDebugName(1) == "Inter"
        assert f"<glob>{source}</glob>" in config.read_text()
    assert f"<dir>{tmp_path}</dir>" in config.read_text()
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert fonts.prepare(tmp_path, sources) == config  # a second start converts nothing
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps
    assert fonts.prepare(tmp_path, []) is None


async def test_pdfs_embed_truetype_subsets_instead_of_type3_drawings() -> None:
    page = render_page(make_input())
    printed = {}
    for name, config in (("system", None), ("converted", fonts.prepare(fonts.default_dir()))):
        async with running_pool(pages=1, fontconfig=config) as pool:
            printed[name] = await pool.render(page.html, page.footer)
    system, converted = font_subtypes(printed["system"]), font_subtypes(printed["converted"])
    assert "/Type3" in system.values()  # what Chromium does with Debian's Inter
    assert converted and set(converted.values()) == {"/CIDFontType2"}, converted
    assert any(name.endswith("+Inter-Regular") for name in converted) and any(name.endswith("+Inter-Bold") for name in converted)
    assert sorted(flat(text(printed["converted"])).split()) == sorted(flat(text(printed["system"])).split())
    assert len(printed["converted"]) * 2 < len(printed["system"])
