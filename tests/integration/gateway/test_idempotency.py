"""Idempotency-Key on writes: a replay returns the first answer and creates nothing."""

from __future__ import annotations

import asyncio
import io
import uuid

from tests.stack import BUYER, Stack


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


INVOICE = {"client": BUYER, "lines": [{"description": "Design", "quantity": "3", "unit_price": "80"}]}


async def test_a_replay_returns_the_first_response_and_creates_nothing(stack: Stack) -> None:
    _, api_key = await stack.new_account()
    api = stack.api(api_key)
    headers = key()
    first = await api.post("/invoices", json=INVOICE, headers=headers)
    again = await api.post("/invoices", json=INVOICE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (await api.get("/invoices")).json()["total"] == 1

    # Without a key, the same body is a second invoice.
    assert (await api.post("/invoices", json=INVOICE)).status_code == 201
    assert (await api.get("/invoices")).json()["total"] == 2


async def test_the_same_key_with_another_request_is_refused(stack: Stack) -> None:
    _, api_key = await stack.new_account()
    api = stack.api(api_key)
    headers = key()
    assert (await api.post("/clients", json={"name": "First"}, headers=headers)).status_code == 201
    for method, path, body in (("POST", "/clients", {"name": "Second"}), ("POST", "/products", {"title": "P", "net_price": "1"})):
        reused = await api.request(method, path, json=body, headers=headers)
        assert reused.status_code == 422
        error = reused.json()["error"]
        assert error["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert error["details"][0]["field"] == "Idempotency-Key"
    assert [c["name"] for c in (await api.get("/clients")).json()["items"]] == ["First"]


async def test_concurrent_requests_with_one_key_create_one_document(stack: Stack) -> None:
    _, api_key = await stack.new_account()
    api = stack.api(api_key)
    headers = key()
    responses = await asyncio.gather(*(api.post("/invoices", json=INVOICE, headers=headers) for _ in range(20)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await api.get("/invoices")).json()["total"] == 1


async def test_keys_belong_to_one_account(stack: Stack) -> None:
    headers = key()
    _, key_a = await stack.new_account()
    _, key_b = await stack.new_account()
    a = await stack.api(key_a).post("/clients", json={"name": "Of A"}, headers=headers)
    b = await stack.api(key_b).post("/clients", json={"name": "Of B"}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"] and b.json()["name"] == "Of B"


async def test_a_failed_request_does_not_burn_its_key(stack: Stack) -> None:
    _, api_key = await stack.new_account()
    api = stack.api(api_key)
    headers = key()
    bad = {"client": BUYER, "lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]}
    assert (await api.post("/invoices", json=bad, headers=headers)).status_code == 422
    assert (await api.post("/invoices", json=bad, headers=headers)).status_code == 422
    assert (await api.get("/invoices")).json()["total"] == 0


async def test_deletes_and_finalize_replay_too(stack: Stack) -> None:
    from tests.stack import ready_account

    api = await ready_account(stack)
    draft = (await api.post("/invoices", json=INVOICE)).json()
    headers = key()
    first = await api.post(f"/invoices/{draft['id']}/finalize", headers=headers)
    again = await api.post(f"/invoices/{draft['id']}/finalize", headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    plain = await api.post(f"/invoices/{draft['id']}/finalize")
    assert plain.status_code == 409  # without the key it is a second, refused finalize

    other = (await api.post("/invoices", json=INVOICE)).json()
    headers = key()
    assert (await api.delete(f"/invoices/{other['id']}", headers=headers)).status_code == 204
    assert (await api.delete(f"/invoices/{other['id']}", headers=headers)).status_code == 204
    assert (await api.delete(f"/invoices/{other['id']}")).status_code == 404


async def test_a_replayed_key_creation_never_stores_or_repeats_the_secret(stack: Stack) -> None:
    import asyncpg

    _, admin_key = await stack.new_account()
    api = stack.api(admin_key)
    headers = key()
    first = await api.post("/settings/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=headers)
    again = await api.post("/settings/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=headers)
    assert first.status_code == again.status_code == 201
    secret = first.json()["key"]
    assert secret.startswith("bw_") and again.json()["key"] == "" and again.json()["id"] == first.json()["id"]
    conn = await asyncpg.connect(stack.database_url)
    try:
        stored = await conn.fetchval("SELECT reply FROM invoices.idempotency_keys WHERE key = $1", headers["Idempotency-Key"])
    finally:
        await conn.close()
    assert secret.encode() not in stored
    assert (await stack.api(secret).get("/clients")).status_code == 200


def png(colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 20), colour).save(out, "PNG")
    return out.getvalue()


async def test_a_logo_upload_with_a_key_is_replayed_and_a_different_file_refused(stack: Stack) -> None:
    account_id, api_key = await stack.new_account()
    api = stack.api(api_key)
    headers = key()
    first = await api.post("/settings/profile/logo", files={"file": ("logo.png", png("#123456"), "image/png")}, headers=headers)
    assert first.status_code == 200, first.text
    # A retry builds a new multipart body (another boundary): still the same request.
    again = await api.post("/settings/profile/logo", files={"file": ("logo.png", png("#123456"), "image/png")}, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()

    other = await api.post("/settings/profile/logo", files={"file": ("logo.png", png("#abcdef"), "image/png")}, headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await stack.invoices.pool.fetchval(
        "SELECT sha256 FROM invoices.logos WHERE account_id = $1", uuid.UUID(account_id)) == first.json()["sha256"]
