"""The invoices service imports the libraries of its rarer features (e-invoices: lxml and
drafthorse; drafts from text: rapidfuzz; webhook secrets: cryptography) on their first use, not
when it starts (issue 24: about 18 MB of its memory), and each feature works on that first use.

Each check runs in a fresh interpreter: in this one, other tests have imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

LAZY = ("lxml", "drafthorse", "rapidfuzz", "cryptography")


def run_fresh(code: str) -> dict:
    """Run `code` in a new interpreter; it prints one JSON object as its last line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_invoices_service_starts_without_the_libraries_of_rare_features() -> None:
    loaded = run_fresh(f"""
        import json, sys, billwire_invoices.app, billwire_invoices.__main__
        print(json.dumps({{"loaded": sorted(m for m in {LAZY!r} if m in sys.modules)}}))
    """)
    assert loaded == {"loaded": []}


def test_the_first_xml_check_loads_lxml_and_finds_the_failure() -> None:
    result = run_fresh("""
        import json, sys, billwire_invoices.app
        from billwire_invoices.documents.einvoice import validate_xml
        before = "lxml" in sys.modules
        failures = validate_xml(b"<Invoice", "xrechnung")
        print(json.dumps({"before": before, "after": "lxml" in sys.modules, "failures": [f.rule for f in failures]}))
    """)
    assert result == {"before": False, "after": True, "failures": ["XSD"]}


def test_the_first_client_match_loads_rapidfuzz_and_finds_the_client() -> None:
    result = run_fresh("""
        import json, sys, uuid, billwire_invoices.app
        from billwire_invoices.text.client_match import match_client
        before = "rapidfuzz" in sys.modules
        acme = uuid.UUID(int=1)
        best, candidates = match_client("ACME gmbh", [(acme, "Acme GmbH"), (uuid.UUID(int=2), "Zebra AG")])
        print(json.dumps({"before": before, "after": "rapidfuzz" in sys.modules, "best": str(best.id), "n": len(candidates)}))
    """)
    assert result == {"before": False, "after": True, "best": "00000000-0000-0000-0000-000000000001", "n": 1}


def test_keys_are_checked_at_start_and_cryptography_comes_with_the_first_secret() -> None:
    result = run_fresh("""
        import base64, json, os, sys, billwire_invoices.app
        from billwire_invoices.webhooks.sealing import SecretBox
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        refused = []
        for bad in ("not-a-key", base64.urlsafe_b64encode(os.urandom(16)).decode(), "ä"):
            try:
                SecretBox(f"{key},{bad}")
            except ValueError as exc:
                refused.append("BILLWIRE_SECRETS_KEYS" in str(exc))
        box = SecretBox(key)
        before = "cryptography" in sys.modules
        sealed = box.seal("whsec_1")
        print(json.dumps({"refused": refused, "before": before, "after": "cryptography" in sys.modules,
                          "enc": sealed.startswith("enc:"), "opened": box.open(sealed), "current": box.is_current(sealed),
                          "enabled": [box.enabled, SecretBox("").enabled]}))
    """)
    assert result == {"refused": [True, True, True], "before": False, "after": True, "enc": True, "opened": "whsec_1",
                      "current": True, "enabled": [True, False]}
