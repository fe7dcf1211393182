"""The SMTP catcher of `make run`: every message received is kept as var/mail/<n>.eml."""

from __future__ import annotations

import email
import email.policy
import shutil
import tempfile
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from billwire_cli.embedded import PortInUseError, free_port
from billwire_cli.mailcatcher import MailCatcher


def message(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "invoices@localhost", "ap@globex.example", f"Invoice {n}"
    msg.set_content(f"Body {n}\n.\nstill the body\n")
    msg.add_attachment(b"%PDF-1.7 " + bytes(range(256)), maintype="application", subtype="pdf", filename=f"{n}.pdf")
    return msg


async def test_each_message_becomes_the_next_numbered_eml_file() -> None:
    folder = Path(tempfile.mkdtemp(prefix="billwire-mail-")) / "mail"
    port = free_port()
    (folder).mkdir()
    (folder / "7.eml").write_bytes(b"from an earlier run")
    catcher = MailCatcher(folder, port)
    catcher.start()
    try:
        with pytest.raises(PortInUseError):
            MailCatcher(folder, port).start()
        for n in (1, 2):
            await aiosmtplib.send(
                message(n), hostname="127.0.0.1", port=port, start_tls=False,
                recipients=["ap@globex.example", "copy@acme.example"],
            )
    finally:
        catcher.stop()
    assert sorted(p.name for p in folder.iterdir()) == ["7.eml", "8.eml", "9.eml"]
    kept = email.message_from_bytes((folder / "9.eml").read_bytes(), policy=email.policy.default)
    assert kept["Subject"] == "Invoice 2" and kept["Return-Path"] == "<invoices@localhost>"
    assert kept.get_all("Delivered-To") == ["ap@globex.example", "copy@acme.example"]
    assert kept.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Body 2\n.\nstill the body\n"
    [attachment] = list(kept.iter_attachments())
    assert attachment.get_content() == b"%PDF-1.7 " + bytes(range(256))
    shutil.rmtree(folder.parent, ignore_errors=True)
