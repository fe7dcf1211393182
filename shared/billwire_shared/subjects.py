"""Subject, stream and bucket names, defined once.

A deployment (or a test run) may set a prefix so that several installations share one
NATS server without seeing each other's messages.
"""

from __future__ import annotations

# Requests that need an answer: <service>.rpc.<entity>.<verb>
AUTH_VERIFY = "invoices.rpc.auth.verify"
SYSTEM_HEALTH = "invoices.rpc.system.health"
PROFILE_GET = "invoices.rpc.profile.get"
PROFILE_UPDATE = "invoices.rpc.profile.update"
EMAIL_TEMPLATES_GET = "invoices.rpc.email_templates.get"
EMAIL_TEMPLATES_UPDATE = "invoices.rpc.email_templates.update"
REMINDERS_GET = "invoices.rpc.reminders.get"
REMINDERS_UPDATE = "invoices.rpc.reminders.update"
API_KEY_CREATE = "invoices.rpc.api_key.create"
API_KEY_LIST = "invoices.rpc.api_key.list"
API_KEY_REVOKE = "invoices.rpc.api_key.revoke"
OAUTH_CLIENT_REGISTER = "invoices.rpc.oauth_client.register"
OAUTH_CLIENT_GET = "invoices.rpc.oauth_client.get"
OAUTH_TOKEN_ISSUE = "invoices.rpc.oauth_token.issue"
CLIENT_CREATE = "invoices.rpc.client.create"
CLIENT_GET = "invoices.rpc.client.get"
CLIENT_LIST = "invoices.rpc.client.list"
CLIENT_UPDATE = "invoices.rpc.client.update"
CLIENT_DELETE = "invoices.rpc.client.delete"
PRODUCT_CREATE = "invoices.rpc.product.create"
PRODUCT_GET = "invoices.rpc.product.get"
PRODUCT_LIST = "invoices.rpc.product.list"
PRODUCT_UPDATE = "invoices.rpc.product.update"
PRODUCT_DELETE = "invoices.rpc.product.delete"
DOCUMENT_CREATE = "invoices.rpc.document.create"
DOCUMENT_GET = "invoices.rpc.document.get"
DOCUMENT_LIST = "invoices.rpc.document.list"
DOCUMENT_UPDATE = "invoices.rpc.document.update"
DOCUMENT_DELETE = "invoices.rpc.document.delete"
DOCUMENT_FINALIZE = "invoices.rpc.document.finalize"
DOCUMENT_PREVIEW = "invoices.rpc.document.preview"
DOCUMENT_RENDER_INPUT = "invoices.rpc.document.render_input"
PAYMENT_RECORD = "invoices.rpc.payment.record"
PAYMENT_LIST = "invoices.rpc.payment.list"
PAYMENT_DELETE = "invoices.rpc.payment.delete"
DOCUMENT_MARK_PAID = "invoices.rpc.document.mark_paid"
DOCUMENT_MARK_UNPAID = "invoices.rpc.document.mark_unpaid"
DOCUMENT_CANCEL = "invoices.rpc.document.cancel"
REFUND_RECORD = "invoices.rpc.refund.record"
REFUND_LIST = "invoices.rpc.refund.list"
DOCUMENT_DUPLICATE = "invoices.rpc.document.duplicate"
ESTIMATE_CONVERT = "invoices.rpc.estimate.convert"
DOCUMENT_SEND = "invoices.rpc.document.send"
SEND_GET = "invoices.rpc.send.get"
SEND_LIST = "invoices.rpc.send.list"
SEND_PREVIEW = "invoices.rpc.send.preview"
DOCUMENT_PREVIEW_ACTION = "invoices.rpc.document.preview_action"
STATS_GET = "invoices.rpc.stats.get"
USAGE_GET = "invoices.rpc.usage.get"
EXPORT_PAGE = "invoices.rpc.document.export_page"
EXPORT_CSV = "invoices.rpc.document.export_csv"
ARCHIVE_PAYMENTS = "invoices.rpc.archive.payments"
ARCHIVE_AUDIT = "invoices.rpc.archive.audit"
LOGO_SET = "invoices.rpc.logo.set"
LOGO_GET = "invoices.rpc.logo.get"
LOGO_DELETE = "invoices.rpc.logo.delete"
WEBHOOK_CREATE = "invoices.rpc.webhook.create"
WEBHOOK_LIST = "invoices.rpc.webhook.list"
WEBHOOK_GET = "invoices.rpc.webhook.get"
WEBHOOK_DELETE = "invoices.rpc.webhook.delete"
WEBHOOK_DELIVERIES = "invoices.rpc.webhook.deliveries"
USER_CREATE = "invoices.rpc.user.create"
USER_LIST = "invoices.rpc.user.list"
USER_AUTHENTICATE = "invoices.rpc.user.authenticate"
USER_SESSION_CHECK = "invoices.rpc.user.session_check"
USER_CHANGE_PASSWORD = "invoices.rpc.user.change_password"
USER_UPDATE_ME = "invoices.rpc.user.update_me"
USER_RESET_PASSWORD = "invoices.rpc.user.reset_password"
USER_DISABLE = "invoices.rpc.user.disable"
USER_INVITE = "invoices.rpc.user.invite"
USER_INVITATION_LIST = "invoices.rpc.user.invitation_list"
USER_INVITATION_REVOKE = "invoices.rpc.user.invitation_revoke"
USER_INVITATION_ACCEPT = "invoices.rpc.user.invitation_accept"
USER_LINK_CHECK = "invoices.rpc.user.link_check"
USER_RESET_REQUEST = "invoices.rpc.user.reset_request"
USER_RESET_SEND = "invoices.rpc.user.reset_send"
USER_RESET_COMPLETE = "invoices.rpc.user.reset_complete"
APPROVAL_REQUEST = "invoices.rpc.approval.request"
APPROVAL_LIST = "invoices.rpc.approval.list"
APPROVAL_GET = "invoices.rpc.approval.get"
APPROVAL_DECIDE = "invoices.rpc.approval.decide"
APPROVAL_LINK_GET = "invoices.rpc.approval.link_get"
APPROVAL_LINK_DECIDE = "invoices.rpc.approval.link_decide"
ACTIVITY_LIST = "invoices.rpc.activity.list"
OVERVIEW_GET = "invoices.rpc.overview.get"
DOCUMENT_VIEW = "invoices.rpc.document.view"  # a document page's reads in one call (contracts/pages.py)
DOCUMENT_LIST_VIEW = "invoices.rpc.document.list_view"  # the documents page's reads in one call
RENDERING_HEALTH = "rendering.rpc.system.health"
DOCUMENT_RENDER = "rendering.rpc.document.render"
ARTIFACT_GET = "rendering.rpc.artifact.get"
MAILER_HEALTH = "mailer.rpc.system.health"
MAILER_QUOTA_RESERVE = "mailer.rpc.quota.reserve"
MAILER_QUOTA_GET = "mailer.rpc.quota.get"
MAILER_QUOTA_RELEASE = "mailer.rpc.quota.release"
INVOICE_FROM_TEXT = "invoices.rpc.invoice.from_text"
PROMPT_CREATE = "invoices.rpc.prompt.create"
PROMPT_GET = "invoices.rpc.prompt.get"
PROMPT_LIST = "invoices.rpc.prompt.list"
PROMPT_LABELS = "invoices.rpc.prompt.labels"
PROMPT_UPDATE = "invoices.rpc.prompt.update"
PROMPT_DELETE = "invoices.rpc.prompt.delete"
PROMPT_RUN = "invoices.rpc.prompt.run"
RECURRING_CREATE = "invoices.rpc.recurring.create"
RECURRING_GET = "invoices.rpc.recurring.get"
RECURRING_LIST = "invoices.rpc.recurring.list"
RECURRING_UPDATE = "invoices.rpc.recurring.update"
RECURRING_DELETE = "invoices.rpc.recurring.delete"
RECURRING_PREVIEW = "invoices.rpc.recurring.preview"
RECURRING_PREVIEW_INPUT = "invoices.rpc.recurring.preview_input"
RECURRING_PAUSE = "invoices.rpc.recurring.pause"
RECURRING_RESUME = "invoices.rpc.recurring.resume"
RECURRING_END = "invoices.rpc.recurring.end"

# Core-NATS broadcast (not persisted): a key was revoked, drop it from every gateway cache.
API_KEY_REVOKED = "broadcast.api_key.revoked"
# A user's sessions may have changed (password, reset, disable, language; or one session signed out):
# every gateway drops what it cached of them. {"user_id": ...} or {"session": <the session's KV key>}.
USER_SESSIONS_CHANGED = "broadcast.user.sessions_changed"

# Domain events on the EVENTS stream: events.<entity>.<fact>
CLIENT_CREATED = "events.client.created"
CLIENT_UPDATED = "events.client.updated"
CLIENT_DELETED = "events.client.deleted"
INVOICE_CREATED = "events.invoice.created"
INVOICE_UPDATED = "events.invoice.updated"
INVOICE_FINALIZED = "events.invoice.finalized"
INVOICE_DELETED = "events.invoice.deleted"
INVOICE_SEND_REQUESTED = "events.invoice.send_requested"
INVOICE_SENT = "events.invoice.sent"
INVOICE_PAID = "events.invoice.paid"
INVOICE_PAYMENT_RECORDED = "events.invoice.payment_recorded"
INVOICE_OVERDUE = "events.invoice.overdue"
INVOICE_REMINDER_SENT = "events.invoice.reminder_sent"
INVOICE_CANCELLED = "events.invoice.cancelled"
INVOICE_REFUNDED = "events.invoice.refunded"
RECURRING_CREATED = "events.recurring_invoice.created"
RECURRING_UPDATED = "events.recurring_invoice.updated"
RECURRING_PAUSED = "events.recurring_invoice.paused"
RECURRING_RESUMED = "events.recurring_invoice.resumed"
RECURRING_ENDED = "events.recurring_invoice.ended"
RECURRING_DELETED = "events.recurring_invoice.deleted"
RECURRING_RUN_FAILED = "events.recurring_invoice.run_failed"
DOCUMENT_FINALIZED = "events.*.finalized"  # every document type
DOCUMENT_SEND_REQUESTED = "events.*.send_requested"
DOCUMENT_RENDERED = "events.document.rendered"
EMAIL_DELIVERED = "events.email.delivered"
EMAIL_FAILED = "events.email.failed"
USER_EMAIL_REQUESTED = "events.user.email_requested"  # an invitation or reset link for the mailer

EVENTS_STREAM = "EVENTS"
RATE_LIMIT_BUCKET = "RATELIMIT"
WEB_SESSIONS_BUCKET = "WEBSESSIONS"
OAUTH_GRANTS_BUCKET = "OAUTHGRANTS"

# The queue group every replica of a service joins.
QUEUE = {"invoices": "invoices", "rendering": "rendering", "mailer": "mailer"}


class Names:
    """Applies a deployment's prefix to subjects, streams and buckets."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def subject(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def stream(self, name: str) -> str:
        return f"{self.prefix.upper()}_{name}" if self.prefix else name

    def queue(self, service: str) -> str:
        return self.subject(QUEUE[service])

    @property
    def events_stream(self) -> str:
        return self.stream(EVENTS_STREAM)

    @property
    def events_wildcard(self) -> str:
        return self.subject("events.>")

    @property
    def rate_limit_bucket(self) -> str:
        return self.stream(RATE_LIMIT_BUCKET)

    @property
    def web_sessions_bucket(self) -> str:
        return self.stream(WEB_SESSIONS_BUCKET)

    @property
    def oauth_grants_bucket(self) -> str:
        return self.stream(OAUTH_GRANTS_BUCKET)


def event_subject(entity: str, fact: str) -> str:
    return f"events.{entity}.{fact}"
