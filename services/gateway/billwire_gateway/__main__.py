"""`python -m billwire_gateway`: serve the gateway with uvicorn on BILLWIRE_HOST:PORT."""

from __future__ import annotations

import uvicorn

from billwire_gateway.app import create_app
from billwire_gateway.server import uvicorn_config
from billwire_gateway.settings import GatewaySettings
from billwire_shared.logs import configure_logging
from billwire_shared.settings import load_settings
from billwire_shared.telemetry import setup_tracing


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_level, settings.log_json)
    setup_tracing("gateway")  # before the app: it adds the tracing middleware only when on
    config = uvicorn_config(
        create_app(settings), settings.host, settings.port, proxy_headers=True, timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
