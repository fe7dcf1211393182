"""Webhook secrets at rest, against a real Postgres and a real HTTP receiver: a secret stored in
clear before encryption is encrypted at start; after a rotation (new key first, old key second)
secrets sealed under the old key still sign correctly and the start re-encrypts them under the
new key; a wrong key fails the delivery with a message naming the setting, and the worker goes on."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg
import pytest
from cryptography.fernet import Fernet

from billwire_invoices.app import MIGRATIONS, SCHEMA, open_pool
from billwire_invoices.settings import InvoicesSettings
from billwire_invoices.webhooks import rules as wh
from billwire_invoices.webhooks.sealing import SecretBox, reseal
from billwire_invoices.webhooks.worker import DeliveryWorker
from billwire_shared.ids import new_id
from billwire_shared.migrate import migrate
from tests.integration.invoices.test_webhooks import Receiver, receiving
from tests.servers import fresh_database

OLD_KEY, NEW_KEY, WRONG_KEY = (Fernet.generate_key().decode() for _ in range(3))


async def _queue_delivery(pool: asyncpg.Pool, webhook_id: UUID, account_id: UUID) -> UUID:
    delivery_id = new_id()
    payload = json.dumps({"id": str(new_id()), "type": "invoice.paid", "data": {}}).encode()
    await pool.execute(
        "INSERT INTO webhook_deliveries (id, webhook_id, account_id, event_id, event_type, payload, next_attempt_at)"
        " VALUES ($1, $2, $3, $4, 'invoice.paid', $5, now())",
        delivery_id, webhook_id, account_id, new_id(), payload,
    )
    return delivery_id


async def _deliver_once(pool: asyncpg.Pool, box: SecretBox) -> None:
    worker = DeliveryWorker(pool, box=box, allow_private=True, retry_scale=0.01)
    worker.start()
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.stop()


@pytest.fixture
async def legacy_webhook(pg_admin_url: str):
    """A fresh schema holding one webhook whose secret was stored in clear (before encryption)."""
    async with fresh_database(pg_admin_url) as database_url:
        await migrate(database_url, SCHEMA, MIGRATIONS)
        pool = await open_pool(InvoicesSettings(database_url=database_url), min_size=1, max_size=4)
        try:
            account_id, webhook_id, secret = new_id(), new_id(), wh.new_secret()
            await pool.execute("INSERT INTO accounts (id, name) VALUES ($1, 'Keys GmbH')", account_id)
            await pool.execute(
                "INSERT INTO webhooks (id, account_id, url, events, secret, secret_prefix) VALUES ($1, $2, '', '{invoice.paid}', $3, $4)",
                webhook_id, account_id, secret, secret[:10],
            )
            yield pool, account_id, webhook_id, secret
        finally:
            await pool.close()


async def test_clear_secrets_are_encrypted_rotation_keeps_them_and_a_wrong_key_fails_clearly(legacy_webhook) -> None:
    pool, account_id, webhook_id, secret = legacy_webhook

    def stored() -> str:
        return pool.fetchval("SELECT secret FROM webhooks WHERE id = $1", webhook_id)

    assert await reseal(pool, SecretBox(OLD_KEY)) == (1, 0)
    under_old = await stored()
    assert under_old.startswith("enc:") and secret not in under_old
    assert await reseal(pool, SecretBox(OLD_KEY)) == (0, 0)  # nothing left to do at the next start

    rotated = SecretBox(f"{NEW_KEY},{OLD_KEY}")
    async with receiving(Receiver()) as receiver:
        await pool.execute("UPDATE webhooks SET url = $2 WHERE id = $1", webhook_id, receiver.url)
        await _queue_delivery(pool, webhook_id, account_id)
        await _deliver_once(pool, rotated)  # sealed under the old key, opened by the rotated list
        assert len(receiver.requests) == 1 and receiver.requests[0]["status"] == 200
        request = receiver.requests[0]
        assert wh.verify(secret, request["headers"]["billwire-signature"], request["body"])

        assert await reseal(pool, rotated) == (1, 0)
        assert SecretBox(NEW_KEY).open(await stored()) == secret  # the old key may now be dropped
        await _queue_delivery(pool, webhook_id, account_id)
        await _deliver_once(pool, SecretBox(NEW_KEY))
        assert len(receiver.requests) == 2
        assert wh.verify(secret, receiver.requests[1]["headers"]["billwire-signature"], receiver.requests[1]["body"])

        assert await reseal(pool, SecretBox(WRONG_KEY)) == (0, 1)  # logged, the start goes on
        delivery_id = await _queue_delivery(pool, webhook_id, account_id)
        await _deliver_once(pool, SecretBox(WRONG_KEY))
        assert len(receiver.requests) == 2  # nothing unsigned or wrongly signed went out
    row = await pool.fetchrow("SELECT state, last_error FROM webhook_deliveries WHERE id = $1", delivery_id)
    assert row["state"] == "pending" and "BILLWIRE_SECRETS_KEYS" in row["last_error"]
    assert await stored() != under_old and SecretBox(NEW_KEY).open(await stored()) == secret  # the wrong key changed nothing


def test_a_malformed_key_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match="BILLWIRE_SECRETS_KEYS"):
        SecretBox("not-a-fernet-key")
    assert SecretBox("").seal("whsec_x") == "whsec_x" and SecretBox(" , ").open("whsec_x") == "whsec_x"
    with pytest.raises(Exception, match="BILLWIRE_SECRETS_KEYS is not set"):
        SecretBox("").open(SecretBox(OLD_KEY).seal("whsec_x"))
