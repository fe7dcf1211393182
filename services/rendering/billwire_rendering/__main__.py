"""`python -m billwire_rendering`: run one replica until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio

from billwire_shared.logs import configure_logging
from billwire_shared.service import serve_until_signalled
from billwire_shared.settings import load_settings

from billwire_rendering.app import RenderingSettings, create_service


def main() -> None:
    settings = load_settings(RenderingSettings)
    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(serve_until_signalled(create_service(settings)))


if __name__ == "__main__":
    main()
