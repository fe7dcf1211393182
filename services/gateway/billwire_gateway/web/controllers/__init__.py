"""The web app's pages, one controller per area, each route a thin call of one bus command."""

from billwire_gateway.web.controllers.account import AccountController
from billwire_gateway.web.controllers.actions import DocumentActionsController
from billwire_gateway.web.controllers.approvals import ApprovalLinkController, ApprovalsController
from billwire_gateway.web.controllers.clients import ClientsController, ProductsController
from billwire_gateway.web.controllers.documents import DocumentsController
from billwire_gateway.web.controllers.from_text import FromTextController
from billwire_gateway.web.controllers.links import LinksController
from billwire_gateway.web.controllers.mail_settings import MailSettingsController
from billwire_gateway.web.controllers.oauth import ConsentController
from billwire_gateway.web.controllers.overview import OverviewController
from billwire_gateway.web.controllers.recurring import RecurringController
from billwire_gateway.web.controllers.settings import SettingsController
from billwire_gateway.web.controllers.users import UsersController
from billwire_gateway.web.controllers.webhooks import WebhooksController

CONTROLLERS = [
    AccountController, OverviewController, FromTextController, DocumentsController, DocumentActionsController, ClientsController,
    ProductsController, SettingsController, UsersController, RecurringController, LinksController, MailSettingsController,
    WebhooksController, ConsentController, ApprovalsController, ApprovalLinkController,
]
