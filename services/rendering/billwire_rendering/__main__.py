"""`python -m billwire_rendering`: run one replica until SIGINT or SIGTERM."""

from billwire_rendering.app import create_service
from billwire_rendering.settings import RenderingSettings
from billwire_shared.service import main

if __name__ == "__main__":
    main(create_service, RenderingSettings)
