"""Requests built to break the gateway rather than use it: broken bytes, deep nesting, wrong
media types, oversized query strings, disguised paths. Each gets a clear JSON 4xx, never a 500
and never a traceback in the log, and none slips past authentication.

Paths and query limits are tested through uvicorn over real HTTP: the path decoding and the
request-line limit that matter here are uvicorn's, which the in-process transport skips.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid

import httpx
import pytest

from tests.stack import Stack, ready_account

SOME_ID = str(uuid.uuid4())
WRITE_METHODS = ("post", "put", "patch")
HOSTILE_BODIES = {
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "overlong UTF-8": b'{"name": "\xc0\xaf"}',
    "UTF-8 surrogate": b'{"name": "\xed\xa0\x80"}',
    "1,000 nested arrays": b"[" * 1000 + b"]" * 1000,
    "1,000 nested objects in a field": b'{"name": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001,
}


async def json_write_routes(stack: Stack) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document that takes a JSON body, with ids filled in."""
    document = (await stack.http.get("/schema/openapi.json")).json()
    routes = []
    for path, item in document["paths"].items():
        for method in WRITE_METHODS:
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" in content:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", SOME_ID, path)))
    assert len(routes) >= 20, routes
    return routes


GATEWAY_LOGGERS = ("billwire.gateway", "uvicorn", "litestar", "mcp")


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors the gateway logged (other services of the session may log their own meanwhile)."""
    return [
        f"{record.name}: {record.getMessage()}" for record in caplog.records
        if (record.exc_info or record.levelno >= logging.ERROR) and record.name.startswith(GATEWAY_LOGGERS)
    ]


async def test_broken_json_is_a_400_on_every_json_write_route_without_a_traceback(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    api = await ready_account(stack, "Broken Bytes GmbH")
    caplog.set_level(logging.INFO)
    for method, path in await json_write_routes(stack):
        for name, body in HOSTILE_BODIES.items():
            response = await api.request(method, path, content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 400, (method, path, name, response.text)
            error = response.json()["error"]
            assert error["code"] == "MALFORMED_JSON", (method, path, name, error)
            assert "0x" not in error["message"] and "<" not in error["message"], error
    assert tracebacks(caplog) == []


async def test_a_json_body_needs_a_json_media_type(stack: Stack) -> None:
    api = await ready_account(stack, "Media Types GmbH")
    body = b'{"name": "Plain Text Ltd"}'
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        response = await api.post("/clients", content=body, headers=headers)
        assert response.status_code == 415, (headers, response.text)
        assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    for media_type in ("application/json", "application/json; charset=utf-8", "application/merge-patch+json"):
        created = await api.post("/clients", content=body, headers={"Content-Type": media_type})
        assert created.status_code == 201, (media_type, created.text)


async def test_an_oversized_query_string_gets_the_json_error_shape(stack: Stack) -> None:
    api = await ready_account(stack, "Long Query GmbH")
    async with stack.served() as base, httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {api.key}"}) as http:
        assert (await http.get("/api/v1/clients", params={"q": "a" * 1000})).status_code == 200
        response = await http.get("/api/v1/clients", params={"q": "a" * 20_000})
        assert response.status_code == 414, response.text
        assert response.json()["error"]["code"] == "URI_TOO_LONG"
        # Past what the HTTP parser itself accepts, the answer is still JSON.
        reader, writer = await asyncio.open_connection(*base.removeprefix("http://").split(":"))
        writer.write(f"GET /api/v1/clients?q={'a' * 200_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        raw = await reader.read()
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"content-type: application/json" in head.lower(), raw[:300]
        assert httpx.Response(400, content=body).json()["error"]["code"] == "MALFORMED_REQUEST"


async def test_disguised_paths_meet_the_same_key_check_and_limits(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    api = await ready_account(stack, "Disguise GmbH")
    caplog.set_level(logging.INFO)
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}
    tools_list = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    mcp_headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    async with stack.served() as base, httpx.AsyncClient(base_url=base) as http:
        for path in ("/%61pi/v1/clients", "//api/v1/clients", "/api%2fv1/clients", "/api/v1//clients", "/api/%761/clients",
                     "/api/v1/./clients", "/api/v1/x/../clients"):
            anonymous = await http.get(httpx.URL(base + path))
            assert anonymous.status_code in (401, 404), (path, anonymous.text)
            assert anonymous.json()["error"]["code"] in ("UNAUTHORIZED", "NOT_FOUND"), path
            keyed = await http.get(httpx.URL(base + path), headers={"Authorization": f"Bearer {api.key}"})
            assert keyed.status_code in (200, 404), (path, keyed.text)
            if keyed.status_code == 200:
                assert "x-ratelimit-remaining" in keyed.headers, path
        for path in ("/%61pi/mcp/", "//api/mcp/", "/api%2fmcp/", "/api/%6dcp/"):
            for message in (initialize, tools_list):
                response = await http.post(httpx.URL(base + path), json=message, headers=mcp_headers)
                assert response.status_code in (401, 404), (path, message["method"], response.text)
    assert tracebacks(caplog) == []


async def test_options_lists_every_method_of_the_path(stack: Stack) -> None:
    api = await ready_account(stack, "Options GmbH")
    expected = {
        "/clients": {"GET", "POST"},
        f"/clients/{SOME_ID}": {"GET", "PATCH", "DELETE"},
        f"/invoices/{SOME_ID}": {"GET", "PATCH", "DELETE"},
        f"/invoices/{SOME_ID}/pdf": {"GET", "POST"},
        "/settings/profile": {"GET", "PATCH"},
        "/settings/profile/logo": {"POST", "DELETE"},
        f"/prompts/{SOME_ID}": {"GET", "PUT", "DELETE"},
    }
    for path, methods in expected.items():
        response = await api.request("OPTIONS", path)
        assert response.status_code in (200, 204), (path, response.text)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == methods | {"OPTIONS"}, (path, allowed)
        refused = await api.request("PUT" if "PUT" not in methods else "POST", path, json={})
        assert refused.status_code == 405, (path, refused.text)
        assert {m.strip() for m in refused.headers["allow"].split(",")} == allowed, (path, refused.headers)


async def test_options_answers_whatever_the_query(stack: Stack) -> None:
    """OPTIONS asks what a path allows, carrying the query of the request it asks about (the
    fuzzer sends a GET's own parameters along): the query is not checked, as it reads none."""
    api = await ready_account(stack, "Options Query GmbH")
    for url in ("/stats?period=month&year=2026&month=12", "/clients?limit=5&bogus=1", "/archive?year=0.5"):
        response = await api.request("OPTIONS", url)
        assert response.status_code == 204, (url, response.text)
        assert "GET" in response.headers["allow"], (url, response.headers)
    refused = await api.get("/clients?bogus=1")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "UNKNOWN_QUERY_PARAMETER", refused.text


async def test_a_misshapen_logo_upload_is_a_clear_4xx_without_python_reprs(stack: Stack) -> None:
    api = await ready_account(stack, "Logo Shapes GmbH")
    attempts = [
        ({"files": [("file", ("a.png", b"x", "image/png")), ("file", ("b.png", b"y", "image/png"))]}, 422, "VALIDATION_ERROR"),
        ({"data": {"file": "not a file"}, "files": {"other": ("a", b"b")}}, 422, "VALIDATION_ERROR"),
        ({"files": {"logo": ("a.png", b"x", "image/png")}}, 422, "VALIDATION_ERROR"),
        ({"content": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400, "MALFORMED_REQUEST"),
        ({"json": {"file": "x"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"content": b"\x89PNG", "headers": {"Content-Type": "image/png"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ]
    for request, status, code in attempts:
        response = await api.post("/settings/profile/logo", **request)
        assert response.status_code == status, (request, response.text)
        assert response.json()["error"]["code"] == code, (request, response.text)
        assert not re.search(r"<class |object at 0x|<_io", response.text), response.text


def concrete(path: str, operations: dict) -> str:
    """`path` with each path parameter filled with a value of its documented type."""
    kinds = {
        parameter["name"]: parameter.get("schema", {})
        for operation in operations.values() if isinstance(operation, dict)
        for parameter in operation.get("parameters", []) if parameter.get("in") == "path"
    }

    def value(match: re.Match) -> str:
        schema = kinds.get(match.group(1), {})
        return "1" if schema.get("type") == "integer" else SOME_ID if schema.get("format") == "uuid" else "x"

    return re.sub(r"\{(\w+)\}", value, path)


async def test_every_documented_path_allows_exactly_its_documented_methods(stack: Stack) -> None:
    """What schemathesis' Allow-header check would do in its coverage phase (too slow for the
    suite): for every API path of the OpenAPI document, OPTIONS lists the documented methods, and a
    method it does not document is a 405 carrying the same Allow."""
    api = await ready_account(stack, "Allow GmbH")
    document = (await api.get("/schema/openapi.json")).json()
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        documented = {method.upper() for method in operations if method in ("get", "post", "put", "patch", "delete")}
        url = concrete(path, operations)
        options = await api.request("OPTIONS", url)
        assert options.status_code in (200, 204), (path, options.text)
        allowed = {m.strip() for m in options.headers["allow"].split(",")}
        assert allowed == documented | {"OPTIONS"}, (path, allowed, documented)
        other = next(method for method in ("PUT", "PATCH", "DELETE", "POST") if method not in documented)
        refused = await api.request(other, url, json={})
        assert refused.status_code == 405, (path, other, refused.text)
        assert {m.strip() for m in refused.headers["allow"].split(",")} == allowed, (path, refused.headers)
        checked += 1
    assert checked > 60  # every API path, not a few
