"""/llms.txt and /llms-full.txt through the real gateway: public, complete, and nothing in them
that does not exist; the flows' example bodies work as written."""

from __future__ import annotations

import json
import re

from billwire_gateway.controllers.agents import FLOWS
from tests.stack import Stack

API_PATH = re.compile(r"/api/v1/[^\s`)\]\"'?]*")
OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")


async def test_both_files_are_public_plain_text_with_the_request_base_url(stack: Stack) -> None:
    for path in ("/llms.txt", "/llms-full.txt"):
        response = await stack.http.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert "Base URL: http://gateway.local\n" in response.text
        assert "http://gateway.local/api/mcp" in response.text and "Authorization: Bearer bw_..." in response.text
    index = (await stack.http.get("/llms.txt")).text
    assert "http://gateway.local/llms-full.txt" in index and "http://gateway.local/schema" in index
    spec = (await stack.http.get("/schema/openapi.json")).json()
    assert "/llms.txt" not in spec["paths"] and "/llms-full.txt" not in spec["paths"]


async def test_every_operation_and_tool_is_listed_and_every_path_named_exists(stack: Stack) -> None:
    _, key = await stack.new_account()
    spec = (await stack.http.get("/schema/openapi.json")).json()
    full = (await stack.http.get("/llms-full.txt")).text
    index = (await stack.http.get("/llms.txt")).text

    listed = set(OPERATION.findall(full))
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                assert (method.upper(), path) in listed, (method, path)
    assert "`POST /api/v1/invoices/{document_id}/send` [scope: write + email:send]" in full
    assert "`GET /api/v1/clients` [scope: read]" in full

    tools = await stack.api(key).post("/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                       headers={"Accept": "application/json, text/event-stream"})
    assert tools.status_code == 200, tools.text
    names = [tool["name"] for tool in tools.json()["result"]["tools"]]
    assert len(names) > 20
    for name in names:
        assert f"- `{name}` [scope: " in full, name

    for text in (index, full):
        named = set(API_PATH.findall(text))
        assert named, "no /api/v1 path named"
        for path in named:
            assert path.rstrip(".,:") in spec["paths"], path


async def test_the_flows_example_bodies_work_as_written(stack: Stack) -> None:
    _, key = await stack.new_account()
    api = stack.api(key)
    full = (await stack.http.get("/llms-full.txt")).text
    steps = {step.title: step for step in FLOWS}
    for step in FLOWS:
        assert f"`{step.method} {step.path}`" in full
        if step.body is not None:
            assert f"Body: `{json.dumps(step.body)}`" in full

    profile = steps["Complete the company profile (once)"]
    assert (await api.request(profile.method, profile.path, json=profile.body)).status_code == 200
    client = await api.post("/clients", json=steps["Create a client"].body)
    assert client.status_code == 201, client.text
    body = dict(steps["Create a draft invoice"].body or {}) | {"client_id": client.json()["id"]}
    invoice = await api.post("/invoices", json=body)
    assert invoice.status_code == 201, invoice.text
    document_id = invoice.json()["id"]

    finalize = steps["Finalize (issue) it"]
    finalized = await api.request(finalize.method, finalize.path.format(document_id=document_id))
    assert finalized.status_code == 200, finalized.text
    assert finalized.json()["number"]

    pay = steps["Record a payment"]
    paid = await api.post(pay.path.format(invoice_id=document_id), json=pay.body)
    assert paid.status_code == 201, paid.text
    assert (await api.get(f"/invoices/{document_id}")).json()["status"] == "paid"
