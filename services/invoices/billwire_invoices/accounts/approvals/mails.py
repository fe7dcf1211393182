"""The e-mail each owner of the account gets when an agent's key asks for an action: what would
happen, and the one-time link to approve or reject it. Plain text, in the owner's language."""

from __future__ import annotations

from datetime import datetime

from billwire_shared.contracts.approvals import Approval

LINK_PATH = "/login/approval/"


def summary(approval: Approval) -> list[str]:
    preview = approval.preview
    facts = [f"{preview.type.replace('_', ' ')} {preview.number_after or preview.number or '(draft)'}",
             f"{approval.expected_total} {preview.currency}"]
    if preview.to:
        facts.append("→ " + ", ".join(preview.to + preview.cc))
    return facts


def approval_requested(language: str, company: str, approval: Approval, link: str, expires: datetime) -> tuple[str, str]:
    """(subject, body) of the owners' e-mail about one pending approval."""
    facts = summary(approval)
    until = expires.strftime("%Y-%m-%d %H:%M UTC")
    if language == "de":
        return (
            f"Freigabe erbeten: {approval.action} {facts[0]} ({facts[1]})",
            f"Hallo,\n\nein API-Schlüssel von {company} möchte: {approval.preview.would}.\n\n" + "\n".join(facts)
            + f"\n\nVorschau, PDF, Freigeben oder Ablehnen (der Link gilt einmal, bis {until}):\n{link}\n\n"
            "Ohne Entscheidung passiert nichts.\n",
        )
    return (
        f"Approval requested: {approval.action} {facts[0]} ({facts[1]})",
        f"Hello,\n\nan API key of {company} asks to {approval.preview.would}.\n\n" + "\n".join(facts)
        + f"\n\nThe preview, the PDF, approve or reject (the link works once, until {until}):\n{link}\n\n"
        "Without a decision nothing happens.\n",
    )
