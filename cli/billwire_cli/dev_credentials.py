"""What `billwire run` tells a developer once: the API key and the web app's first sign-in,
kept in var/dev-credentials.env (mode 0600) and printed in a banner."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from billwire_cli.env_files import read_env_file, write_private

CREDENTIALS_FILE = "dev-credentials.env"


def show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Credentials:
    api_key: str
    web_email: str = ""
    web_password: str = ""  # the generated first password: the web app asks to change it at first sign-in

    @classmethod
    def read(cls, path: Path) -> Credentials:
        values = read_env_file(path)
        return cls(
            api_key=values.get("BILLWIRE_API_KEY", ""), web_email=values.get("BILLWIRE_WEB_EMAIL", ""),
            web_password=values.get("BILLWIRE_WEB_PASSWORD", ""),
        )

    def write(self, path: Path, base: str) -> None:
        """Replace the file atomically, readable by its owner only."""
        text = (
            "# Written by `make run`: the local API and the first account's key; the web app and its\n"
            "# first sign-in (the password is the generated first one: it is changed at that sign-in).\n"
            f"BILLWIRE_API_URL={base}/api/v1\nBILLWIRE_API_KEY={self.api_key}\n"
            f"BILLWIRE_WEB_URL={base}/\nBILLWIRE_WEB_EMAIL={self.web_email}\nBILLWIRE_WEB_PASSWORD={self.web_password}\n"
        )
        write_private(path, text)


def banner(base: str, new: Credentials | None, path: Path, mail: str = "") -> str:
    """The key goes on a line of its own, `API key: bw_...`, so scripts can pick it up."""
    if new:
        secret_lines = [
            f"API key: {new.api_key}", f"  (shown once; also saved in {show(path)})",
            f"  Web:  {base}/", f"    e-mail:   {new.web_email}", f"    password: {new.web_password}  (change it at first sign-in)",
        ]
    else:
        secret_lines = [f"  API key: see BILLWIRE_API_KEY in {show(path)}", f"  Web:  {base}/  (sign-in: BILLWIRE_WEB_EMAIL in {show(path)})"]
    rule = "─" * 64
    lines = [rule, "  Billwire is running.", *secret_lines, f"  API:  {base}/api/v1", f"  Docs: {base}/schema",
             *([mail] if mail else []), "  Press Ctrl-C to stop.", rule]
    return "\n".join(lines)


SECRETS_KEY_FILE = "secrets-key.env"


def secrets_keys(var: Path) -> str:
    """The key that encrypts webhook secrets in local use (BILLWIRE_SECRETS_KEYS): made once and
    kept in var/secrets-key.env (mode 0600), so secrets written by an earlier run still decrypt."""
    path = var / SECRETS_KEY_FILE
    key = read_env_file(path).get("BILLWIRE_SECRETS_KEYS", "") if path.exists() else ""
    if not key:
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()  # a Fernet key: 32 random bytes, url-safe base64
        write_private(path, f"BILLWIRE_SECRETS_KEYS={key}\n")
    return key
