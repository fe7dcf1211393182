"""The account's people over REST, for an owner's key (`admin`, as the web app's users page is an
owner's): list the users, invite someone by a one-time link (e-mailed through the mailer and in
this answer once), list and withdraw invitations, disable a user (their sessions end on every
gateway at once). The same users wing the web app and the CLI use; every change is in the audit
log under the key's name. The invitation's link starts with BILLWIRE_WEB_PUBLIC_URL."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from billwire_gateway.controllers.items import act_on_one, delete_one, read_account
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.common import Command
from billwire_shared.contracts.user_links import CreateInvitation, Invitation, InvitationInput, ListInvitations, NewInvitation
from billwire_shared.contracts.users import User

OWNER = {"scope": "admin"}


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    list_users = read_account(
        None, subjects.USER_LIST, Command, list[User], name="list_users",
        summary="The account's users with their roles (owner, member, accountant); never a password", opt=OWNER,
    )

    @post(
        "/invitations", summary="Invite someone by a one-time link; the answer shows the link, once", opt=OWNER, status_code=201,
        description="The link is e-mailed to `email` in `language` and works once, until `expires_at` "
                    "(BILLWIRE_INVITE_VALID_HOURS); whoever opens it chooses a name and password and joins with `role`. "
                    "An e-mail that already belongs to a user is refused (422, field `email`).",
    )
    async def invite_user(self, request: Request, data: JSONBody[InvitationInput], caller: CallerDep, bus: BusDep) -> Response[NewInvitation]:
        command = CreateInvitation(ctx=caller, invitation=data, web_url=request.app.state.web.public_url)
        return json_reply(await bus.call(subjects.USER_INVITE, command), 201)

    list_invitations = read_account(
        "/invitations", subjects.USER_INVITATION_LIST, ListInvitations, list[Invitation], name="list_invitations",
        summary="The invitations: pending, used, expired or withdrawn (never their links)", opt=OWNER,
    )
    revoke_invitation = delete_one(
        "invitation_id", subjects.USER_INVITATION_REVOKE, name="revoke_invitation", under="/invitations",
        summary="Withdraw an invitation: its link no longer works", opt=OWNER,
    )
    disable_user = act_on_one(
        "disable", "user_id", subjects.USER_DISABLE, User, name="disable_user",
        summary="Disable a user: they can no longer sign in, and their sessions end on every gateway at once", opt=OWNER,
    )
