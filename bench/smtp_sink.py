"""The send bench's SMTP server: a real SMTP conversation (EHLO, MAIL, RCPT, DATA, RSET, QUIT)
on its own thread and event loop, keeping only each message's Message-ID and arrival time.

aiosmtpd, which the tests use, reads DATA one line at a time: about a thousand Python steps
for an invoice's base64 PDF. On this bench's two cores that CPU competes with the services
being measured, so the sink reads the content in whatever pieces TCP delivers and looks for
the final dot in the new bytes only.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
END = b"\r\n.\r\n"
EHLO = b"250-bench-sink\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP\r\n"
REPLIES = {b"HELO": b"250 bench-sink\r\n", b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n", b"RSET": b"250 OK\r\n",
           b"NOOP": b"250 OK\r\n", b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n", b"QUIT": b"221 Bye\r\n"}


class SmtpSink:
    """Every accepted message's Message-ID (empty if it had none), in arrival order."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.last: float | None = None
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(self._loop.create_server(lambda: _Session(self), "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP sink did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def accepted(self, message: bytes) -> None:
        head = message.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.message_ids.append(found.group(1).decode() if found else "")
        self.last = time.monotonic()


class _Session(asyncio.Protocol):
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0  # content bytes already searched for the final dot
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            if self.in_data:
                end = self.buffer.find(END, max(self.scanned - len(END), 0))
                if end < 0:
                    self.scanned = len(self.buffer)
                    return
                self.sink.accepted(bytes(self.buffer[2:end + 2]))  # without the CRLF put before it
                del self.buffer[:end + len(END)]
                self.in_data, self.scanned = False, 0
                self.transport.write(b"250 2.0.0 Ok: queued\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[:line_end + 2]
            self.transport.write(EHLO if verb == b"EHLO" else REPLIES.get(verb, b"500 Error: command not recognized\r\n"))
            if verb == b"DATA":
                # The content starts right after the reply: an empty message ends with a lone dot.
                self.in_data, self.buffer[:0] = True, b"\r\n"
            elif verb == b"QUIT":
                self.transport.close()
