"""MCP prompts for the jobs agents are asked most: each is the plan, in the tools' own names,
that keeps the person in charge of every irreversible step (preview, ask, then confirm)."""

from __future__ import annotations

from billwire_gateway.mcp.toolbox import BillwireMCP

CONFIRMING = (
    "Before finalize_invoice or send_invoice with confirm=true, call it without confirm, show the person the "
    "preview (number, recipients, subject, total, attachments) and every entry of blocking_problems, and only "
    "confirm, with expected_total set to the preview's total, once they agree and blocking_problems is empty."
)


def register(mcp: BillwireMCP) -> None:
    @mcp.prompt(name="invoice_from_description", title="Invoice from a description")
    def invoice_from_description(description: str) -> str:
        """Turn a description of work done ("10 hours consulting for Globex at 150 EUR/h") into a sent invoice."""
        return (
            f"Make an invoice from this description:\n\n{description}\n\n"
            "1. Call draft_invoice_from_text with dry_run=true and read what it did not understand (unparsed, problems).\n"
            "2. Find the client with list_clients; if it does not exist, ask for its name, address and e-mail, then create_client.\n"
            "3. create_invoice with the client's id and the lines (unit_price and quantity as decimal strings), and show the"
            " person the lines, the VAT rate applied and the total.\n"
            f"4. {CONFIRMING}"
        )

    @mcp.prompt(name="chase_overdue_invoices", title="Chase overdue invoices")
    def chase_overdue_invoices() -> str:
        """Find the invoices past due and agree with the person how to chase each one."""
        return (
            "Chase the overdue invoices:\n\n"
            "1. Call list_overdue_invoices and summarise each: number, client, due date, days overdue, balance_due.\n"
            "2. For each, get_invoice_status and list_payments to check nothing was paid meanwhile.\n"
            "3. Propose per client a short, friendly reminder text; with the person's agreement, send_invoice again with that"
            " message (the PDF is attached again).\n"
            f"4. {CONFIRMING}\n"
            "5. get_reminder_settings tells whether automatic reminders are on; suggest them if they are off."
        )

    @mcp.prompt(name="month_end_summary", title="Month-end summary")
    def month_end_summary(month: str = "") -> str:
        """Invoiced, paid and outstanding for a month (YYYY-MM; the current month when empty)."""
        which = f"the month {month}" if month else "the current month"
        return (
            f"Summarise {which}:\n\n"
            "1. get_invoice_stats with period=month and date_from/date_to spanning the month: invoiced, paid, outstanding,"
            " overdue per currency, and the top clients.\n"
            "2. list_invoices with status=draft to list drafts not issued yet, and list_overdue_invoices for what is late.\n"
            "3. export_invoices with the month's date_from and date_to gives the CSV (and its URL) for the accountant.\n"
            "4. Present totals per currency (never add different currencies), then drafts, overdue invoices, and suggested next steps."
        )
