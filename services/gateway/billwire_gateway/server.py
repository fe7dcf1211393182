"""How uvicorn serves the gateway: its settings, and JSON instead of plain text for the one
answer uvicorn writes itself (a request its HTTP parser cannot read, e.g. a request line over
its ~80 KB limit), so every error a client sees has the API's error shape."""

from __future__ import annotations

from typing import Any

import msgspec
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from billwire_shared.errors import ErrorCode

UNREADABLE = msgspec.json.encode({"error": {
    "code": ErrorCode.MALFORMED_REQUEST, "message": "The HTTP request could not be read (malformed, or its URL or headers are too long).",
    "details": [],
}})


class JsonErrorsHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with its parser-error answer in the API's error shape."""

    def send_400_response(self, msg: str) -> None:
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(UNREADABLE)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ])
        self.transport.write(b"".join(head) + UNREADABLE)
        self.transport.close()


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The one uvicorn configuration of the gateway, for `python -m billwire_gateway` and tests."""
    defaults: dict[str, Any] = {"log_config": None, "access_log": False, "http": JsonErrorsHttpToolsProtocol}
    return uvicorn.Config(app, host=host, port=port, **(defaults | options))
