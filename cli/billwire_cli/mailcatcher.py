"""The local SMTP catcher of `make run`: accepts every message and keeps it as `<n>.eml`.

It runs aiosmtpd in a thread of its own (start/stop like the embedded servers), listens on
loopback only, and never relays anything. Each file is the message as received, preceded by
`Return-Path` and one `Delivered-To` per envelope recipient, so a Bcc is visible too.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from billwire_cli.embedded import (
    LOOPBACK,
    EmbeddedServerError,
    PortInUseError,
    port_in_use,
)

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class _Store:
    """aiosmtpd handler: numbers messages 1, 2, 3, ... after the highest file already there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        numbers = [int(p.stem) for p in folder.glob("*.eml") if p.stem.isdigit()]
        self.next = max(numbers, default=0) + 1

    def save(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        head = f"Return-Path: <{mail_from}>\r\n" + "".join(f"Delivered-To: {r}\r\n" for r in rcpt_tos)
        data = head.encode("utf-8", "replace") + content
        with self.lock:
            while True:
                path = self.folder / f"{self.next}.eml"
                self.next += 1
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:  # someone else's file: take the next number
                    continue
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                return path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        path = self.save(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        log.debug("caught a message for %s: %s", ", ".join(envelope.rcpt_tos), path)
        return f"250 2.0.0 Ok: kept as {path.name}"


class MailCatcher:
    def __init__(self, folder: Path, port: int, host: str = LOOPBACK) -> None:
        self.folder, self.port, self.host = folder, port, host
        self._controller: Controller | None = None

    def start(self) -> None:
        if port_in_use(self.port, self.host):
            raise PortInUseError("the SMTP catcher", self.port)
        self.folder.mkdir(parents=True, exist_ok=True)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
        controller = Controller(
            _Store(self.folder), hostname=self.host, port=self.port, server_hostname="billwire-mail-catcher",
            data_size_limit=MAX_MESSAGE_BYTES,
        )
        try:
            controller.start()
        except Exception as exc:
            raise EmbeddedServerError(f"cannot start the SMTP catcher on {self.host}:{self.port}: {exc}") from exc
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            try:
                controller.stop()
            except Exception as exc:
                raise EmbeddedServerError(f"the SMTP catcher did not stop cleanly: {exc}") from exc
