"""What a person sees when a service behind the web app does not answer: the styled "something
went wrong" page with the request id to quote, never a stack trace or raw JSON. The gateway here
talks to a bus namespace no invoices service listens on, as when that service is down."""

from __future__ import annotations

import re
import secrets

from billwire_gateway.app import GatewaySettings, create_app
from tests.servers import delete_prefixed_streams
from tests.stack import Stack, serve_in_process


async def test_signing_in_while_the_invoices_service_is_down_shows_the_styled_page_with_its_request_id(stack: Stack) -> None:
    prefix = f"t{secrets.token_hex(4)}"  # nobody answers here
    try:
        app = create_app(stack.settings(GatewaySettings, prefix=prefix, rpc_timeout=2.0))
        async with serve_in_process(app) as client:
            form = await client.get("/login")
            assert form.status_code == 200
            token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
            assert token is not None
            answer = await client.post("/login", data={"email": "ada@down.example", "password": "a long enough password", "_csrf": token.group(1)})
    finally:
        await delete_prefixed_streams(stack.nats_url, prefix)

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "<h1>Something went wrong</h1>" in page
    request_id = answer.headers["x-request-id"]
    assert re.search(rf"Request id: <code>{re.escape(request_id)}</code>", page), page
    assert "Traceback" not in page and '"error"' not in page and "billwire_" not in page
