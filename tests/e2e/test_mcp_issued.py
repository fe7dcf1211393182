"""An agent over MCP with issued documents (issue 20, "Documents"): imported history, a paid
invoice cancelled and refunded, the status fields of issued invoices, an estimate converted once."""

from __future__ import annotations

from tests.e2e.test_mcp import call, mcp_session
from tests.stack import BUYER, Stack, ready_account, unique

LINES = [{"description": "Design", "quantity": "1", "unit_price": "100.00"}]  # 119.00


async def test_an_agent_imports_cancels_refunds_and_sets_statuses(stack: Stack) -> None:
    api = await ready_account(stack, unique("Agentur GmbH"))
    async with stack.served() as base, mcp_session(base, api.key) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert {"create_invoice", "finalize_invoice", "record_refund", "list_refunds", "update_invoice", "cancel_invoice"} <= tools

        draft = await call(session, "create_invoice", imported=True, number="2021/17", issue_date="2021-06-01", client=BUYER,
                           lines=LINES, idempotency_key="import-17")
        assert (draft["number"], draft["imported"], draft["status"]) == ("2021/17", True, "draft")
        preview = await call(session, "finalize_invoice", invoice_id=draft["id"])
        assert preview["number_after"] == "2021/17" and preview["blocking_problems"] == []  # its own number, not the series'
        old = await call(session, "finalize_invoice", invoice_id=draft["id"], confirm=True, expected_total="119.00")
        assert (old["number"], old["issue_date"], old["imported"], old["status"]) == ("2021/17", "2021-06-01", True, "open")
        clash = await session.call_tool("create_invoice", {"imported": True, "number": "2021/17", "client": BUYER, "lines": LINES})
        assert clash.is_error and "DOCUMENT_NUMBER_TAKEN" in clash.content[0].text

        await call(session, "record_payment", invoice_id=old["id"], amount="119.00", date="2021-06-20")
        settled = await call(session, "get_invoice", invoice_id=old["id"])
        assert (settled["status"], settled["paid_date"]) == ("paid", "2021-06-20")
        cancelled = await call(session, "cancel_invoice", invoice_id=old["id"], confirm=True, expected_total="119.00")
        assert cancelled["refund_due"] == "119.00"
        refund = await call(session, "record_refund", invoice_id=old["id"])
        assert refund["amount"] == "119.00"
        assert [r["id"] for r in await call(session, "list_refunds", invoice_id=old["id"])] == [refund["id"]]
        assert (await call(session, "get_invoice", invoice_id=old["id"]))["refund_due"] == "0.00"

        refused = await session.call_tool("update_invoice", {"invoice_id": old["id"], "changes": {"sent": True}})
        assert refused.is_error and "DOCUMENT_FINALIZED" in refused.content[0].text and "sent" in refused.content[0].text
        status = await call(session, "update_invoice", invoice_id=old["id"], changes={"custom_status": {"name": "refunded by bank"}})
        assert status["custom_status"]["name"] == "refunded by bank"

        estimate = (await api.post("/documents", json={"type": "estimate", "client": BUYER, "lines": LINES})).json()
        converted = await call(session, "convert_estimate", estimate_id=estimate["id"])
        twice = await session.call_tool("convert_estimate", {"estimate_id": estimate["id"]})
        assert twice.is_error and converted["id"] in twice.content[0].text
