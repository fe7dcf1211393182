"""MCP over OAuth, the parts without a browser: metadata, dynamic client registration with its
redirect-URI rules, the 401 that points at the metadata, and /authorize handing over to the
consent page (the browser part: tests/web/test_mcp_oauth.py)."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx

from tests.stack import Stack


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


async def register(http: httpx.AsyncClient, base: str, **metadata) -> httpx.Response:
    body = {"client_name": "Test assistant", "redirect_uris": ["http://127.0.0.1:9/callback"], "token_endpoint_auth_method": "none"} | metadata
    return await http.post(f"{base}/register", json=body)


async def test_metadata_points_an_oauth_client_from_the_mcp_endpoint_to_the_authorization_server(stack: Stack) -> None:
    async with stack.served() as base, httpx.AsyncClient(timeout=30) as http:
        refused = await http.post(f"{base}/api/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401
        assert f'resource_metadata="{base}/.well-known/oauth-protected-resource/api/mcp"' in refused.headers["www-authenticate"]
        # The REST API's 401 stays as it was.
        assert "resource_metadata" not in (await http.get(f"{base}/api/v1/clients")).headers["www-authenticate"]

        for path in ("/.well-known/oauth-protected-resource/api/mcp", "/.well-known/oauth-protected-resource"):
            resource = (await http.get(base + path)).json()
            assert resource["resource"] == f"{base}/api/mcp" and resource["authorization_servers"] == [base]
            assert resource["scopes_supported"] == ["read", "write", "email:send"]
        server = (await http.get(f"{base}/.well-known/oauth-authorization-server")).json()
        assert server["issuer"] == base
        assert server["authorization_endpoint"] == f"{base}/authorize" and server["token_endpoint"] == f"{base}/token"
        assert server["registration_endpoint"] == f"{base}/register"
        assert server["code_challenge_methods_supported"] == ["S256"]
        assert set(server["scopes_supported"]) == {"read", "write", "email:send", "admin"}
        discovery = (await http.get(f"{base}/.well-known/mcp.json")).json()
        assert discovery["oauth"] == {"resource_metadata": f"{base}/.well-known/oauth-protected-resource/api/mcp", "authorization_server": base}


async def test_registration_accepts_https_and_loopback_redirects_only(stack: Stack) -> None:
    async with stack.served() as base, httpx.AsyncClient(timeout=30) as http:
        for uri in ("http://127.0.0.1:8765/callback", "http://localhost/cb", "http://[::1]:3000/cb", "https://assistant.example/oauth/callback"):
            response = await register(http, base, redirect_uris=[uri])
            assert response.status_code == 201, (uri, response.text)
            assert response.json()["client_id"] and response.json()["redirect_uris"] == [uri]
        for uri in ("http://assistant.example/callback", "https://assistant.example/cb#part", "javascript:alert(1)",
                    "https://user:pw@assistant.example/cb", "myapp://callback"):
            response = await register(http, base, redirect_uris=[uri])
            assert response.status_code == 400, (uri, response.text)
            assert response.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")
        assert (await register(http, base, scope="read superpowers")).status_code == 400


async def test_authorize_sends_the_browser_to_consent_and_refuses_an_unregistered_redirect(stack: Stack) -> None:
    async with stack.served() as base, httpx.AsyncClient(timeout=30) as http:
        client = (await register(http, base)).json()
        query = {
            "response_type": "code", "client_id": client["client_id"], "redirect_uri": "http://127.0.0.1:9/callback", "state": "s1",
            "code_challenge": challenge_of(secrets.token_urlsafe(48)), "code_challenge_method": "S256", "scope": "read write",
            "resource": f"{base}/api/mcp",
        }
        started = await http.get(f"{base}/authorize", params=query)
        assert started.status_code == 302 and started.headers["location"].startswith("/oauth/consent?grant=")
        # Not signed in: the consent page sends the person to sign in first, and back.
        consent = await http.get(base + started.headers["location"])
        assert consent.status_code == 303 and consent.headers["location"].startswith("/login?next=/oauth/consent")

        other = await http.get(f"{base}/authorize", params=query | {"redirect_uri": "http://127.0.0.1:9/elsewhere"})
        assert other.status_code == 400 and other.json()["error"] == "invalid_request"  # never redirected to an unregistered URI
        unknown = await http.get(f"{base}/authorize", params=query | {"client_id": "nobody"})
        assert unknown.status_code == 400
        elsewhere = await http.get(f"{base}/authorize", params=query | {"resource": "https://other.example/mcp"})
        assert elsewhere.status_code == 302 and "error=invalid_target" in elsewhere.headers["location"]
        assert elsewhere.headers["location"].startswith("http://127.0.0.1:9/callback?")


async def test_a_code_nobody_consented_to_gets_no_token(stack: Stack) -> None:
    async with stack.served() as base, httpx.AsyncClient(timeout=30) as http:
        client = (await register(http, base)).json()
        response = await http.post(f"{base}/token", data={
            "grant_type": "authorization_code", "code": secrets.token_urlsafe(32), "redirect_uri": "http://127.0.0.1:9/callback",
            "client_id": client["client_id"], "code_verifier": secrets.token_urlsafe(48),
        })
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_registrations_are_limited_per_client_address(stack: Stack) -> None:
    async with stack.served(auth_failures_per_minute=3) as base, httpx.AsyncClient(timeout=30) as http:
        # Seven from one address in at most two fixed windows of three (other tests' count too): some are refused.
        answers = [await register(http, base) for _ in range(7)]
        refused = [answer for answer in answers if answer.status_code == 429]
        assert refused and {answer.status_code for answer in answers} <= {201, 429}
        assert refused[0].json()["error"]["code"] == "RATE_LIMITED" and int(refused[0].headers["retry-after"]) >= 1
