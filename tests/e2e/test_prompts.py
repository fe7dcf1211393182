"""Saved prompts: CRUD, label and content filters, label counts, running one, per account."""

from __future__ import annotations

from tests.stack import BUYER, Stack, ready_account

MONTHLY = "Invoice Globex Corp for hosting for March 2026 at $49/month, net 30"
WORKSHOP = "Rechnung an die Müller GmbH: 2 Tage Workshop à 900 €/Tag, zzgl. 19 % MwSt."


async def test_prompt_crud_and_filters(stack: Stack) -> None:
    api = await ready_account(stack)
    first = await api.post("/prompts", json={
        "prompt_text": MONTHLY, "labels": [{"name": "monthly", "color": "#00AA11"}, {"name": "hosting"}],
    })
    assert first.status_code == 201, first.text
    monthly = first.json()
    assert monthly["labels"] == [{"name": "monthly", "color": "#00aa11"}, {"name": "hosting", "color": None}]
    workshop = (await api.post("/prompts", json={"prompt_text": WORKSHOP, "labels": [{"name": "monthly", "color": "#ff0000"}]})).json()
    bare = (await api.post("/prompts", json={"prompt_text": "Consulting 10 h at $120/h for Initech"})).json()
    assert bare["labels"] == []

    async def ids(**params) -> list[str]:
        response = await api.get("/prompts", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert await ids() == [bare["id"], workshop["id"], monthly["id"]]
    assert await ids(label="monthly") == [workshop["id"], monthly["id"]]
    assert await ids(label="hosting") == [monthly["id"]]
    assert await ids(label="__no_label__") == [bare["id"]]
    assert await ids(label="nope") == []
    assert await ids(q="workshop") == [workshop["id"]]
    assert await ids(q="globex", label="monthly") == [monthly["id"]]
    assert await ids(q="100%_") == []
    page = (await api.get("/prompts", params={"limit": 1, "offset": 1})).json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == [workshop["id"]]

    labels = (await api.get("/prompts/labels")).json()
    assert labels == [{"name": "hosting", "color": None, "count": 1}, {"name": "monthly", "color": "#ff0000", "count": 2}]

    got = await api.get(f"/prompts/{monthly['id']}")
    assert got.status_code == 200 and got.json() == monthly

    changed = await api.request("PUT", f"/prompts/{monthly['id']}", json={"prompt_text": MONTHLY + " (updated)", "labels": []})
    assert changed.status_code == 200, changed.text
    assert changed.json()["labels"] == [] and changed.json()["updated_at"] > monthly["updated_at"]
    assert await ids(label="__no_label__") == [bare["id"], monthly["id"]]

    assert (await api.delete(f"/prompts/{bare['id']}")).status_code == 204
    assert (await api.get(f"/prompts/{bare['id']}")).status_code == 404
    assert (await api.delete(f"/prompts/{bare['id']}")).status_code == 404


async def test_prompt_input_is_checked(stack: Stack) -> None:
    api = await ready_account(stack)
    for body in (
        {"prompt_text": ""},
        {"prompt_text": "x", "labels": [{"name": "a"}, {"name": "A"}]},
        {"prompt_text": "x", "labels": [{"name": "__no_label__"}]},
        {"prompt_text": "x", "labels": [{"name": "a", "color": "red"}]},
        {"prompt_text": "x", "extra": 1},
    ):
        response = await api.post("/prompts", json=body)
        assert response.status_code in (400, 422), (body, response.text)
    assert (await api.get("/prompts")).json()["total"] == 0


async def test_run_a_saved_prompt(stack: Stack) -> None:
    api = await ready_account(stack)
    globex = (await api.post("/clients", json=BUYER)).json()
    prompt = (await api.post("/prompts", json={"prompt_text": MONTHLY})).json()

    preview = await api.post(f"/prompts/{prompt['id']}/run", json={"dry_run": True})
    assert preview.status_code == 200, preview.text
    assert preview.json()["stored"] is False and preview.json()["prompt_id"] == prompt["id"]
    assert (await api.get("/invoices")).json()["total"] == 0

    run = await api.post(f"/prompts/{prompt['id']}/run")
    assert run.status_code == 201, run.text
    doc = run.json()["document"]
    assert doc["client_id"] == globex["id"] and doc["totals"]["net"] == "49.00" and doc["due_days"] == 30
    assert doc["service_period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert (await api.get("/invoices")).json()["total"] == 1


async def test_prompts_belong_to_their_account(stack: Stack) -> None:
    api = await ready_account(stack)
    mine = (await api.post("/prompts", json={"prompt_text": MONTHLY, "labels": [{"name": "secret"}]})).json()
    _, other_key = await stack.new_account("Someone else")
    other = stack.api(other_key)
    assert (await other.get(f"/prompts/{mine['id']}")).status_code == 404
    assert (await other.request("PUT", f"/prompts/{mine['id']}", json={"prompt_text": "mine now"})).status_code == 404
    assert (await other.delete(f"/prompts/{mine['id']}")).status_code == 404
    assert (await other.post(f"/prompts/{mine['id']}/run", json={"dry_run": True})).status_code == 404
    assert (await other.get("/prompts")).json()["total"] == 0
    assert (await other.get("/prompts/labels")).json() == []
    assert (await api.get(f"/prompts/{mine['id']}")).json()["prompt_text"] == MONTHLY


async def test_scopes(stack: Stack) -> None:
    api = await ready_account(stack)
    key = (await api.post("/settings/api-keys", json={"name": "reader", "scopes": ["read"]})).json()
    reader = stack.api(key["key"])
    assert (await reader.get("/prompts")).status_code == 200
    assert (await reader.post("/prompts", json={"prompt_text": "x"})).status_code == 403
    assert (await reader.post("/invoices/from-text", json={"text": "x", "dry_run": True})).status_code == 403
