"""Health, readiness and the published API description."""

from __future__ import annotations

from tests.stack import Stack


async def test_health_and_readiness(stack: Stack) -> None:
    health = await stack.http.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["version"]

    ready = await stack.http.get("/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["ready"] is True and body["nats"] is True
    assert body["services"]["invoices"]["database"] is True


async def test_readiness_fails_when_the_invoices_service_is_not_answering(stack: Stack) -> None:
    async with stack.gateway(prefix=f"{stack.prefix}_lonely", rpc_timeout=1.0) as lonely:
        ready = await lonely.client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False and ready.json()["services"]["invoices"] is None


async def test_calls_fail_with_503_and_retry_after_when_no_service_answers(stack: Stack) -> None:
    _, key = await stack.new_account()
    async with stack.gateway(prefix=f"{stack.prefix}_lonely", rpc_timeout=1.0) as lonely:
        response = await type(lonely)(lonely.client, key).get("/clients")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["retry-after"]) > 0


async def test_openapi_3_1_documents_every_route_and_the_error_body(stack: Stack) -> None:
    spec = (await stack.http.get("/schema/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/clients", "/api/v1/products", "/api/v1/invoices", "/api/v1/documents",
                 "/api/v1/invoices/{document_id}/finalize", "/api/v1/settings/profile", "/api/v1/settings/api-keys"):
        assert path in spec["paths"], path
    create = spec["paths"]["/api/v1/invoices"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DocumentInput_request")  # msgspec's schema of the body (openapi_inputs.py)
    assert create["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert (await stack.http.get("/schema")).status_code == 200
