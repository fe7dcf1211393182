"""Saxon has one thread: a document's e-invoice checks run on it and reach the schematron from
there. Queued behind themselves they would wait forever (the fuzzer's first Factur-X draft in a
fresh process hung the invoices service, each later request answered 503)."""

from __future__ import annotations

from billwire_invoices.documents.einvoice import validate


def test_work_on_saxons_thread_runs_the_schematron_there(monkeypatch) -> None:
    monkeypatch.setattr(validate, "_run_schematron", lambda xml, syntax: [validate.Failure("RAN", syntax)])
    found = validate.run_on_saxon_thread(validate.schematron_failures, b"<x/>", "cii").result(timeout=30)
    assert found == [validate.Failure("RAN", "cii")]
