"""The Approvals inbox: actions an agent's API key may only ask for, each with the preview of what
it would do and the document's PDF, approved or rejected by a person. Reading needs `read`;
deciding needs `write` (owners and members), and runs the action once, as the key that asked."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.controllers.links import link_gone, public_page
from billwire_gateway.web.i18n import ACTION_LABELS
from billwire_shared import subjects
from billwire_shared.contracts.approvals import Approval, ApprovalLink, DecideApproval, DecideByLink, DecisionInput, ListApprovals
from billwire_shared.contracts.common import ById, Page

STATES = ("pending", "approved", "rejected", "expired", "failed")
OUTCOME = {"approved": "Approved: the action ran.", "rejected": "Rejected: nothing happens.",
           "expired": "It had expired: nothing happens."}


class ApprovalsController(Controller):
    path = "/approvals"

    @get("/")
    async def inbox(
        self, request: Request, person: PersonDep, shown: Annotated[str, QueryParameter(name="state")] = "pending",
    ) -> Response:
        chosen = shown if shown in STATES else None
        query = ListApprovals(ctx=person.caller, state=chosen, limit=100)  # type: ignore[arg-type]
        approvals = decode(await bus_of(request).call(subjects.APPROVAL_LIST, query), Page[Approval])
        return page(request, "approvals.html", person, approvals=approvals, state=chosen, states=STATES, labels=ACTION_LABELS)

    @get("/{approval_id:uuid}")
    async def approval(self, request: Request, person: PersonDep, approval_id: FromPath[UUID]) -> Response:
        found = decode(await bus_of(request).call(subjects.APPROVAL_GET, ById(ctx=person.caller, id=approval_id)), Approval)
        return page(request, "approval.html", person, approval=found, preview=found.preview, labels=ACTION_LABELS)

    @post("/{approval_id:uuid}/approve")
    async def approve(self, request: Request, person: PersonDep, approval_id: FromPath[UUID]) -> Response:
        return await self._decide(request, person, approval_id, "approve", None)

    @post("/{approval_id:uuid}/reject")
    async def reject(self, request: Request, person: PersonDep, approval_id: FromPath[UUID]) -> Response:
        reason = str((await request.form()).get("reason") or "").strip()[:200] or None
        return await self._decide(request, person, approval_id, "reject", reason)

    @staticmethod
    async def _decide(request: Request, person: PersonDep, approval_id: UUID, decision: str, reason: str | None) -> Response:
        """Decide once; the page then shows the outcome (a failed one with the reason it gives)."""
        command = DecideApproval(ctx=person.caller, id=approval_id, decision=decision, body=DecisionInput(reason=reason))  # type: ignore[arg-type]
        decided = decode(await bus_of(request).call(subjects.APPROVAL_DECIDE, command), Approval)
        flash = person.texts(OUTCOME[decided.state]) if decided.state in OUTCOME else decided.reason
        return redirect(f"/approvals/{approval_id}", flash)


class ApprovalLinkController(Controller):
    """The page an owner reaches from the e-mailed one-time link, signed out: the preview and the
    PDF's document, approve or reject. Under /login so the sign-in form's CSRF cookie covers it."""

    path = "/login/approval"
    opt = {"public": True}

    @get("/{token:str}", opt={"public": True})
    async def link(self, request: Request, token: FromPath[str]) -> Response:
        try:
            found = decode(await bus_of(request).call(subjects.APPROVAL_LINK_GET, ApprovalLink(token=token[:100])), Approval)
        except ApiError as exc:
            if exc.reply.http_status not in (404, 422):
                raise
            return link_gone(request, "unknown")
        return public_page(request, "approval_link.html", approval=found, preview=found.preview, labels=ACTION_LABELS, token=token)

    @post("/{token:str}", opt={"public": True})
    async def decide(self, request: Request, token: FromPath[str]) -> Response:
        form = await request.form()
        decision = "approve" if form.get("decision") == "approve" else "reject"
        reason = str(form.get("reason") or "").strip()[:200] or None
        try:
            command = DecideByLink(token=token[:100], decision=decision, body=DecisionInput(reason=reason))
            decided = decode(await bus_of(request).call(subjects.APPROVAL_LINK_DECIDE, command), Approval)
        except ApiError as exc:
            if exc.reply.http_status not in (404, 409, 422):
                raise
            return link_gone(request, "used")
        return public_page(request, "approval_link.html", approval=decided, preview=decided.preview, labels=ACTION_LABELS, token=None)
