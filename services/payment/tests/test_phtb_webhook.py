"""A land office receives each new validation by signed webhook from payment's worker (kit.webhooks), on a real local
HTTP receiver (uvicorn in a thread) and the real database: within the worker's interval, once, with a signature made
with the land office's own key."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from devstack.testing.serving import serving
from kit import webhooks
from kit.webhooks import WebhookSettings
from payment.settings import PaymentSettings, PHTBSettings
from payment.worker import run_webhook_delivery
from services.payment.tests.conftest import World
from services.payment.tests.factories import taxpayer_token
from services.payment.tests.phtb_support import land_office_token, paid_phtb_code

SECRET = "phtb-webhook-secret"


class Receiver:
    """The land office's webhook endpoint: what it received, headers and raw body."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.url = ""
        self.app = FastAPI()

        @self.app.post("/bpn/validations")
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(status_code=204)

    async def wait(self, n: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n:
            assert time.monotonic() < deadline, self.received
            await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    with serving(r.app, name="land-office") as base:
        r.url = f"{base}/bpn/validations"
        yield r


@pytest.fixture
def settings(settings: PaymentSettings) -> PaymentSettings:
    return settings.model_copy(update={
        "webhooks": WebhookSettings(secret=SecretStr(SECRET), timeout_s=2.0, allowed_networks=["127.0.0.1/32"]),
        "phtb": PHTBSettings(webhook_interval_s=0.1)})


async def test_the_land_office_receives_the_validation_signed_once(world: World, receiver: Receiver) -> None:
    office = f"land-office-{uuid.uuid4().hex[:6]}"
    paid = await paid_phtb_code(world)
    put = await world.http.put("/v1/land-office/webhook", headers=land_office_token(office),
                               json={"url": receiver.url, "nop_prefixes": [paid["nop"][:2]]})
    assert put.status_code == 200 and put.json()["url"] == receiver.url, put.text
    secret = (await world.http.get("/v1/land-office/webhook-secret", headers=land_office_token(office))).json()
    assert secret == {"client_id": office, "algorithm": "HMAC-SHA256", "key": webhooks.client_key(SECRET, office)}

    async with run_webhook_delivery(world.settings)(SimpleNamespace(sessions=world.sessions)):  # type: ignore[arg-type]
        r = await world.http.post("/v1/phtb/validations", headers=taxpayer_token(paid["seller"]), json={
            "buyer_id": paid["buyer"], "nop": paid["nop"], "gross_value": paid["value"], "ntpn": paid["ntpn"]})
        assert r.status_code == 201 and r.json()["status"] == "validated", r.text
        v = r.json()
        before = len(receiver.received)
        await receiver.wait(before + 1)
        for _ in range(3):  # a few more turns of the worker's loop: still once
            await asyncio.sleep(0.1)
    mine = [(h, b) for h, b in receiver.received if json.loads(b)["validation_id"] == v["id"]]
    assert len(mine) == 1
    headers, body = mine[0]
    key = webhooks.client_key(SECRET, office)
    assert webhooks.verify(key, headers["lontar-signature"], body)
    assert not webhooks.verify(webhooks.client_key(SECRET, "another-office"), headers["lontar-signature"], body)
    doc = json.loads(body)
    assert (doc["type"], doc["number"], doc["nop"], doc["ntpn"], doc["tax_amount"], doc["letter_path"]) == (
        "phtb.validated", v["number"], paid["nop"], paid["ntpn"], "50000000", v["letter_path"])
    [delivery] = await webhooks.deliveries(world.sessions, uuid.UUID(v["id"]))
    assert (delivery["state"], delivery["attempts"], str(delivery["id"])) == (
        "delivered", 1, headers["lontar-delivery"])
