"""Uploaded images (the company logo): the type is decided by content, never by file name;
PNG and JPEG must decode (Pillow), SVG is rebuilt from an allowlist (lxml, no DTD, no entities,
no network) so that no script, event handler, foreign content or external reference survives.

`check_logo(data)` returns the media type and the bytes to store, or raises `ImageRejected`.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# What is stored must travel inside one bus message with a document (NATS: 1 MB by default),
# so a larger raster logo is scaled down and re-encoded first.
MAX_STORED_BYTES = 512 * 1024
# A decompression bomb is a small file of very many pixels (a 105 KB PNG of 6000x6000): its size
# is read from the header and refused before anything is decoded. What passes is scaled so its
# longer side is at most MAX_SIDE, which is more than a page of A4 at 300 dpi needs for a logo.
MAX_PIXELS = 12_000_000
MAX_SIDE = 1600

PNG, JPEG, SVG = "image/png", "image/jpeg", "image/svg+xml"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

SVG_ELEMENTS = frozenset("""
svg g defs symbol use title desc path rect circle ellipse line polyline polygon text tspan textPath
linearGradient radialGradient stop clipPath mask pattern marker filter style
feBlend feColorMatrix feComponentTransfer feComposite feDropShadow feFlood feFuncA feFuncB feFuncG
feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset
""".split())
_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"url\s*\(\s*['\"]?#[A-Za-z0-9_.:-]+['\"]?\s*\)", re.IGNORECASE)
# CSS that loads something without url(): image-set() and its prefixed forms, image(), cross-fade(),
# src() and element() take plain strings as URLs.
_FORBIDDEN_CSS = re.compile(
    r"@import|@font-face|expression\s*\(|javascript:|\\|<|behavior\s*:|-moz-binding"
    r"|image-set\s*\(|\bimage\s*\(|cross-fade\s*\(|\bsrc\s*\(|\belement\s*\(",
    re.IGNORECASE,
)


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message says why."""


def sniff(data: bytes) -> str | None:
    """PNG, JPEG or SVG by their bytes (magic numbers; SVG by its root element)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower():
        return SVG
    return None


def check_logo(data: bytes) -> tuple[str, bytes]:
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(f"The file has {len(data)} bytes; at most {MAX_UPLOAD_BYTES} (2 MB) are accepted.")
    media_type = sniff(data)
    if media_type is None:
        raise ImageRejected("The file is not a PNG, JPEG or SVG image (judged by its content).")
    if media_type == SVG:
        clean = sanitize_svg(data)
        if len(clean) > MAX_STORED_BYTES:
            raise ImageRejected(f"The SVG is larger than {MAX_STORED_BYTES} bytes after cleaning; simplify it.")
        return SVG, clean
    return media_type, check_raster(data, media_type)


def check_raster(data: bytes, media_type: str) -> bytes:
    """Decode the whole image (a truncated or disguised file fails); scale down a big one."""
    from PIL import Image

    expected = "PNG" if media_type == PNG else "JPEG"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != expected:
                raise ImageRejected(f"The file claims {expected} but decodes as {probe.format}.")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(
                    f"The image has {width}x{height} pixels; a logo may have at most {MAX_PIXELS:,} (e.g. 4000x3000)."
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if len(data) <= MAX_STORED_BYTES and max(width, height) <= MAX_SIDE:
                image.load()
                return data
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale already
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if expected == "PNG":
                image.save(out, "PNG", optimize=True)
            else:
                image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    except ImageRejected:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise ImageRejected(f"The {expected} image cannot be decoded: {exc}") from exc
    if out.tell() > MAX_STORED_BYTES:
        raise ImageRejected(f"The image is still larger than {MAX_STORED_BYTES} bytes when scaled to {MAX_SIDE} px.")
    return out.getvalue()


def _safe_css(text: str) -> bool:
    if _FORBIDDEN_CSS.search(text):
        return False
    return len(_URL.findall(text)) == len(_LOCAL_URL.findall(text))


def _local_name(tag: object) -> str | None:
    if not isinstance(tag, str):
        return None  # comments, processing instructions, entities
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns == SVG_NS else None
    return None


def _clean_attributes(element: etree._Element) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        ns, local = (name[1:].split("}", 1) if name.startswith("{") else ("", name))
        lowered = local.lower()
        keep = ns in ("", XLINK_NS) or (ns == XML_NS and local in ("space", "lang"))
        if lowered.startswith("on") or lowered in ("base",):
            keep = False
        elif lowered == "href":
            keep = keep and value.strip().startswith("#")
        elif lowered == "style" or "url(" in value.lower() or "(" in value and "javascript" in value.lower():
            keep = keep and _safe_css(value)
        if not keep:
            del element.attrib[name]


def sanitize_svg(data: bytes) -> bytes:
    """An SVG rebuilt from allowed elements and attributes; anything else is removed.

    lxml (about 4 MB) is imported with the first SVG logo, not when the gateway starts."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True, recover=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImageRejected(f"The SVG is not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ImageRejected("SVG files with a DOCTYPE (entities) are not accepted.")
    if _local_name(root.tag) != "svg":
        raise ImageRejected("The file is XML but its root element is not an SVG <svg>.")
    for element in list(root.iter()):
        if element is root:
            continue
        name = _local_name(element.tag)
        if name not in SVG_ELEMENTS:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        if name == "style" and not _safe_css(element.text or ""):
            element.getparent().remove(element)  # type: ignore[union-attr]
            continue
        _clean_attributes(element)
        for child in element:
            if not isinstance(child.tag, str):
                element.remove(child)
    _clean_attributes(root)
    etree.cleanup_namespaces(root, top_nsmap={None: SVG_NS, "xlink": XLINK_NS})
    return etree.tostring(root, xml_declaration=False, encoding="utf-8")
