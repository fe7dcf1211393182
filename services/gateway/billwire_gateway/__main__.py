"""`python -m billwire_gateway`: serve the gateway with uvicorn on BILLWIRE_HOST:PORT."""

from __future__ import annotations

import uvicorn

from billwire_gateway.app import GatewaySettings, create_app
from billwire_shared.logs import configure_logging
from billwire_shared.settings import load_settings


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_config=None,
        access_log=False, proxy_headers=True, timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
