"""Wires the mailer service. It starts, migrates its schema, connects and reports ready;
its work arrives with the issues that build it."""

from __future__ import annotations

from pathlib import Path

from billwire_shared.service import Service, ServiceSettings
from billwire_shared.settings import load_settings

MIGRATIONS = Path(__file__).parent / "migrations"


class MailerSettings(ServiceSettings, kw_only=True, frozen=True):
    pass


def create_service(settings: MailerSettings | None = None) -> Service:
    return Service("mailer", settings or load_settings(MailerSettings), MIGRATIONS)
