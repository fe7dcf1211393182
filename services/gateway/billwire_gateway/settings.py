"""The gateway's settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

from billwire_shared.settings import CommonSettings


class GatewaySettings(CommonSettings, kw_only=True, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit_per_minute: int = 100  # requests per API key and minute, counted across all gateway replicas
    rate_limit_per_account_per_minute: int = 1000  # requests per account (all its keys together) and minute
    key_cache_seconds: float = 5.0
    key_cache_entries: int = 10_000  # verified keys each gateway keeps cached; unknown keys are never cached
    auth_failures_per_minute: int = 30  # failed authentications per client address and minute before 429
    # Header a trusted reverse proxy sets to the client's address (e.g. X-Forwarded-For; its right-most
    # entry counts). Empty: the connection's peer address. Never set it without such a proxy in front.
    client_address_header: str = ""
    max_body_bytes: int = 1_048_576
    max_query_bytes: int = 8192  # longer query strings answer 414, well under the HTTP parser's own limit
    kv_replicas: int = 1  # replicas of the rate-limit bucket: 3 on a 3-node JetStream cluster
    web_cookie_secure: bool = False  # mark the web app's session cookie Secure (set it behind HTTPS)
    web_session_idle_minutes: int = 120  # a web session unused this long ends
    web_session_max_hours: int = 12  # a web session ends this long after sign-in, used or not
    web_login_per_email: int = 10  # sign-in attempts per e-mail address and window
    web_login_per_address: int = 50  # sign-in attempts per client address and window
    web_login_window_seconds: int = 900  # the window the sign-in attempts are counted in
    mcp_pdf_max_bytes: int = 2_000_000  # MCP: get_invoice_pdf embeds a PDF up to this size in its answer; a larger one only as its URL
    mcp_export_max_rows: int = 200  # MCP: export_invoices answers with the CSV text of up to this many rows, besides the URL of all
    # The web app's address as people reach it, e.g. https://billing.example.com: e-mailed links (invitations,
    # password resets) start with it, and MCP's OAuth metadata names it as the issuer (and <it>/api/mcp as the
    # resource). Empty: http://<host>:<port> of this gateway (right for local use only).
    web_public_url: str = ""
