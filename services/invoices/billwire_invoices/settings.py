"""Configuration of the invoices service, read from the environment (see docs/configuration.md)."""

from billwire_invoices.documents.limits import DocumentLimits
from billwire_shared.service import ServiceSettings
from billwire_shared.settings import load_settings


class InvoicesSettings(ServiceSettings, kw_only=True, frozen=True):
    db_pool_size: int = 16
    overdue_interval: float = 60.0  # seconds between overdue and payment reminder runs
    webhooks_allow_private: bool = False  # let webhooks target loopback/private networks (local testing only)
    webhooks_timeout: float = 10.0  # seconds per delivery attempt
    webhooks_poll_interval: float = 1.0  # seconds between looks at due retries
    webhooks_retry_scale: float = 1.0  # multiplies the retry schedule (tests shorten it)
    # Fernet keys, comma-separated, that encrypt webhook secrets at rest: the first encrypts, all decrypt
    # (rotate: new key first, restart, then drop the old). Empty: secrets are stored in clear, with a warning at start.
    secrets_keys: str = ""
    # Lines one document may have; more are a 422 naming `lines` and the limit (the API takes 500 at most).
    document_max_lines: int = 300
    # Characters of one line's description; more are a 422 naming the line (the API takes 2,000 at most).
    document_line_max_chars: int = 1000
    documents_quota_per_month: int = 0  # the plan's documents per month and account; 0 is unlimited
    max_active_api_keys: int = 100  # unrevoked API keys an account may have; creating one more answers 409
    recurring_interval: float = 60.0  # seconds between looks for recurring invoices whose period has come
    invite_valid_hours: int = 72  # an invitation link to join an account works this long (once)
    password_reset_valid_minutes: int = 60  # a password-reset link works this long (once)
    approval_valid_days: int = 7  # a pending approval expires unless a person decides within this many days
    recurring_workers: int = 2  # batches of recurring invoices one replica generates at once (each holds a connection)


def document_limits(settings: InvoicesSettings) -> DocumentLimits:
    return DocumentLimits(max_lines=settings.document_max_lines, max_line_chars=settings.document_line_max_chars)


def settings_from_env(**overrides) -> InvoicesSettings:
    return load_settings(InvoicesSettings, **overrides)
