"""`python -m billwire_cli.config_reference > docs/configuration.md`: the settings reference of
every service, one table per settings class, made by `billwire_shared.config_reference`.

The classes are imported by name, so a class that moves breaks this loudly; and
tests/deploy/test_configuration_reference.py fails when a service defines or loads a settings
class that is not listed here. It lives in the CLI because shared imports no service.
"""

from __future__ import annotations

import sys

import msgspec

from billwire_gateway.settings import GatewaySettings
from billwire_invoices.settings import InvoicesSettings
from billwire_invoices.text.model import TextModelSettings
from billwire_mailer.settings import MailerSettings
from billwire_rendering.settings import RenderingSettings
from billwire_shared import config_reference as documented
from billwire_shared.config_reference import MEANINGS, NO_MEANING, meaning, rows

__all__ = ["MEANINGS", "NO_MEANING", "REGENERATE", "meaning", "missing_meanings", "render", "rows", "settings_classes"]

REGENERATE = "uv run python -m billwire_cli.config_reference > docs/configuration.md"
# (service, settings class), in the order the page lists them.
SETTINGS: tuple[tuple[str, type[msgspec.Struct]], ...] = (
    ("gateway", GatewaySettings),
    ("invoices", InvoicesSettings),
    ("invoices: drafting from text", TextModelSettings),
    ("rendering", RenderingSettings),
    ("mailer", MailerSettings),
)


def settings_classes() -> list[tuple[str, type[msgspec.Struct]]]:
    return list(SETTINGS)


def render() -> str:
    return documented.render(settings_classes(), "billwire_cli.config_reference", REGENERATE)


def missing_meanings() -> list[str]:
    return documented.missing_meanings(settings_classes())


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
