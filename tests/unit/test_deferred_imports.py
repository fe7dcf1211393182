"""Libraries only some requests need are imported when first used, not when a service starts
(issue 24: the `make run` stack's memory), and the feature works on that first use.

Each check runs in a fresh interpreter: in this one, other tests have imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DEFERRED = ("httpx", "rich", "pygments", "pypdf", "PIL", "fontTools", "stream_zip", "Crypto")


def run_fresh(code: str) -> dict:
    """Run `code` in a new interpreter; it prints one JSON object as its last line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["billwire_gateway.app", "billwire_invoices.app", "billwire_rendering.app", "billwire_mailer.app"])
def test_a_service_starts_without_the_libraries_of_rare_features(module: str) -> None:
    loaded = run_fresh(f"""
        import json, sys, {module}
        print(json.dumps(sorted(m for m in {DEFERRED!r} if m in sys.modules)))
    """)
    assert loaded == []


def test_the_gateway_starts_without_faststream_pydantic_or_asyncpg() -> None:
    """It talks to the services over plain NATS (billwire_gateway.bus); the message consumers'
    framework and the database driver are the services' business."""
    loaded = run_fresh("""
        import json, sys, billwire_gateway.__main__
        print(json.dumps(sorted(m for m in ("faststream", "pydantic", "asyncpg") if m in sys.modules)))
    """)
    assert loaded == []


def test_the_gateway_loads_lxml_with_the_first_svg_logo_and_cleans_it() -> None:
    result = run_fresh("""
        import json, sys, billwire_gateway.app
        from billwire_gateway.images import check_logo
        before = "lxml" in sys.modules
        kind, clean = check_logo(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect onclick="x()" width="4"/></svg>')
        print(json.dumps({"before": before, "after": "lxml" in sys.modules, "kind": kind, "svg": clean.decode()}))
    """)
    assert (result["before"], result["after"], result["kind"]) == (False, True, "image/svg+xml")
    assert "<rect" in result["svg"] and "script" not in result["svg"] and "onclick" not in result["svg"]


def test_rendering_counts_a_plain_pdfs_pages_without_pypdf_and_any_other_with_it(tmp_path: Path) -> None:
    """A PDF written in plain text (as Chromium's are) is counted from its page tree; one whose
    page tree and page objects disagree (here a doctored /Count) is left to pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    plain, doctored = tmp_path / "three.pdf", tmp_path / "doctored.pdf"
    with plain.open("wb") as fh:
        writer.write(fh)
    doctored.write_bytes(plain.read_bytes().replace(b"/Count 3", b"/Count 4"))
    result = run_fresh(f"""
        import json, sys, billwire_rendering.app
        from billwire_rendering.renderer import page_count
        plain = page_count(open({str(plain)!r}, "rb").read())
        loaded = "pypdf" in sys.modules
        doctored = page_count(open({str(doctored)!r}, "rb").read())
        print(json.dumps({{"plain": plain, "loaded": loaded, "doctored": doctored, "after": "pypdf" in sys.modules}}))
    """)
    assert result == {"plain": 3, "loaded": False, "doctored": 3, "after": True}


def test_the_archive_route_imports_its_zip_writer_only_when_asked() -> None:
    result = run_fresh("""
        import json, sys, billwire_gateway.app
        from billwire_gateway.controllers.archive import ArchiveController
        before = "stream_zip" in sys.modules
        import billwire_gateway.archive
        print(json.dumps({"before": before, "after": "stream_zip" in sys.modules}))
    """)
    assert result == {"before": False, "after": True}


def test_the_openapi_document_is_built_when_first_read_with_its_error_responses_and_examples() -> None:
    """Not at the gateway's start (seconds of a busy start); whoever reads it first gets it whole."""
    result = run_fresh("""
        import json
        from litestar._openapi.plugin import OpenAPIPlugin
        from billwire_gateway.app import create_app
        from billwire_gateway.settings import GatewaySettings
        from billwire_shared.settings import load_settings
        app = create_app(load_settings(GatewaySettings))
        built_at_start = app.plugins.get(OpenAPIPlugin)._openapi is not None
        schema = app.openapi_schema.to_schema()
        create = schema["paths"]["/api/v1/invoices"]["post"]
        print(json.dumps({
            "built_at_start": built_at_start, "errors": sorted(create["responses"]),
            "example": "example" in create["requestBody"]["content"]["application/json"],
            "error_schema": "Error" in schema["components"]["schemas"],
        }))
    """)
    assert result["built_at_start"] is False
    assert {"400", "401", "422", "429"} <= set(result["errors"])
    assert result["example"] and result["error_schema"]


def test_the_gateway_app_is_built_without_pydantic_or_opentelemetry_and_they_still_import_later() -> None:
    """Litestar's optional plugins would load both (~13 MB); the MCP SDK's OAuth still gets pydantic."""
    result = run_fresh("""
        import json, os, sys
        from cryptography.fernet import Fernet
        os.environ.setdefault("BILLWIRE_SECRETS_KEYS", Fernet.generate_key().decode())
        from billwire_gateway.app import create_app
        app = create_app()
        loaded = sorted(m for m in ("pydantic", "opentelemetry") if m in sys.modules)
        from mcp.shared.auth import OAuthToken
        token = OAuthToken(access_token="a", token_type="Bearer")
        print(json.dumps({"loaded": loaded, "later": "pydantic" in sys.modules and token.access_token == "a",
                          "schema": "/api/v1/invoices" in app.openapi_schema.to_schema()["paths"]}))
    """)
    assert result == {"loaded": [], "later": True, "schema": True}
