"""Completion webhooks (a real HTTP receiver on a free port: uvicorn in a thread) and the Idempotency-Key claim
(two concurrent requests with one key: one runs, the other gets 409 `idempotency.in_progress`)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from devstack.testing.serving import serving
from invoice.drafts import service
from invoice.settings import InvoiceSettings
from invoice.webhooks.service import enqueue_completion
from kit import webhooks
from kit.webhooks import WebhookSettings

SECRET = "test-webhook-secret"
LOCAL = ["127.0.0.1/32"]  # where the receiver listens


@pytest.fixture
def settings(settings: InvoiceSettings) -> InvoiceSettings:
    # The SSRF guard refuses loopback by default: these tests opt in explicitly.
    return settings.model_copy(update={"webhooks": WebhookSettings(
        secret=SecretStr(SECRET), timeout_s=2.0, backoff_base_s=0.2, backoff_cap_s=1.0, max_attempts=4,
        allowed_networks=LOCAL)})


XML = {"content-type": "application/xml"}


def bulk(seller: str, n: int, lines: int = 5, *, bad_every: int = 0) -> bytes:
    line = ("<GoodService><Opt>A</Opt><Code>000000</Code><Name>Barang {j}</Name><Unit>UM.0018</Unit>"
            "<Price>100000.00</Price><Qty>2</Qty><TotalDiscount>0</TotalDiscount><TaxBase>200000.00</TaxBase>"
            "<OtherTaxBase>183333.33</OtherTaxBase><VATRate>12</VATRate><VAT>22000.00</VAT><STLGRate>0</STLGRate>"
            "<STLG>0</STLG></GoodService>")
    parts = [f'<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>{seller}</TIN><ListOfTaxInvoice>']
    for i in range(n):
        buyer = "0013121661091000" if bad_every and i % bad_every == 0 else "0013121660091000"
        parts.append(
            f"<TaxInvoice><TaxInvoiceDate>2025-02-03</TaxInvoiceDate><TaxInvoiceOpt>Normal</TaxInvoiceOpt>"
            f"<TrxCode>04</TrxCode><AddInfo/><CustomDoc/><CustomDocMonthYear/><RefDesc>INV-{seller[-6:]}-{i}</RefDesc>"
            f"<FacilityStamp/><SellerIDTKU>{seller}000000</SellerIDTKU><BuyerTin>{buyer}</BuyerTin>"
            f"<BuyerDocument>TIN</BuyerDocument><BuyerCountry>IDN</BuyerCountry><BuyerDocumentNumber/>"
            f"<BuyerName>PT Pembeli {i}</BuyerName><BuyerAdress>Jl. Contoh {i}</BuyerAdress><BuyerEmail/>"
            f"<BuyerIDTKU>{buyer}000000</BuyerIDTKU><ListOfGoodService>"
            + "".join(line.format(j=j) for j in range(lines)) + "</ListOfGoodService></TaxInvoice>")
    parts.append("</ListOfTaxInvoice></TaxInvoiceBulk>")
    return "".join(parts).encode()


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = 0
        self.answer_together = 0  # hold each request until this many are waiting (they must come at once)
        self._waiting = 0
        self._all_waiting = asyncio.Event()  # used only on the receiver's own loop
        self.url = ""
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            if self.answer_together:
                self._waiting += 1
                if self._waiting >= self.answer_together:
                    self._all_waiting.set()
                await self._all_waiting.wait()  # one at a time, the client's timeout ends the first
            if len(self.received) <= self.fail_first:
                return Response(status_code=503)
            return Response(status_code=204)


    async def wait(self, n: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n:
            assert time.monotonic() < deadline, self.received
            await asyncio.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    with serving(r.app, name="webhook-receiver") as base:
        r.url = f"{base}/hook"
        yield r


def _verified(headers: dict[str, str], body: bytes, client_id: str) -> dict[str, Any]:
    key = webhooks.client_key(SECRET, client_id)
    assert webhooks.verify(key, headers["lontar-signature"], body), headers
    assert not webhooks.verify(key, headers["lontar-signature"], body + b" ")
    assert not webhooks.verify(webhooks.client_key(SECRET, "someone-else"), headers["lontar-signature"], body)
    return json.loads(body)  # type: ignore[no-any-return]


async def test_upload_webhook_is_delivered_once_with_a_valid_signature(world: Any, receiver: Receiver) -> None:
    seller = await world.seller()
    h = world.token(seller)
    key = (await world.http.get("/v1/webhook-secret", headers=h)).json()
    assert key["client_id"] == seller and key["key"] == webhooks.client_key(SECRET, seller)
    r = await world.http.post("/v1/invoice-uploads", params={"callback_url": receiver.url},
                              content=bulk(seller, 3, 1, bad_every=3), headers={**h, **XML})
    assert r.status_code == 202, r.text
    upload_id = r.json()["upload_id"]
    done = await world.wait_upload(upload_id, h)
    assert done["state"] == "completed" and done["callback_url"] == receiver.url
    await receiver.wait(1)
    await asyncio.sleep(0.6)  # a few more loop turns: still once
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    doc = _verified(headers, body, seller)
    assert doc["type"] == "invoice_upload.completed" and doc["id"] == upload_id and doc["state"] == "completed"
    assert doc["counts"] == {"total": 3, "accepted": 2, "failed": 1} and doc["finished_at"]
    rows = await webhooks.deliveries(world.sessions, uuid.UUID(upload_id))
    assert [(d["state"], d["attempts"]) for d in rows] == [("delivered", 1)]


async def test_deliveries_due_together_are_sent_together(world: Any, receiver: Receiver) -> None:
    # One at a time, a claimed batch could outlast its claim (each POST up to the timeout) and be sent twice.
    receiver.answer_together = 3
    seller = await world.seller()
    subjects = [uuid.uuid4() for _ in range(3)]
    async with world.sessions() as s, s.begin():  # due at once, as a busy job runner leaves them
        for subject in subjects:
            await enqueue_completion(s, event_type="invoice_upload.completed", subject_id=subject, url=receiver.url,
                                   client_id=seller, state="completed", counts={"total": 1})
    await receiver.wait(3)
    for subject in subjects:
        for _ in range(100):
            rows = await webhooks.deliveries(world.sessions, subject)
            if rows[0]["state"] != "pending":
                break
            await asyncio.sleep(0.05)
        assert [(d["state"], d["attempts"]) for d in rows] == [("delivered", 1)]
    assert len(receiver.received) == 3


async def test_a_failing_receiver_gets_it_on_retry(world: Any, receiver: Receiver) -> None:
    receiver.fail_first = 2
    seller = await world.seller()
    h = world.token(seller)
    r = await world.http.post("/v1/signing-jobs", headers=h, json={
        "seller_npwp": seller, "invoice_ids": [str(uuid.uuid4())], "credential_id": str(uuid.uuid4()),
        "passphrase": "x", "callback_url": receiver.url})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "completed" and job["failed"] == 1  # nothing signable: finished at once
    await receiver.wait(3)
    await asyncio.sleep(0.6)
    assert len(receiver.received) == 3
    doc = _verified(*receiver.received[2], seller)
    assert doc == {**doc, "type": "signing_job.completed", "id": job["id"], "state": "completed",
                   "counts": {"total": 1, "signed": 0, "failed": 1}}
    assert receiver.received[0][1] == receiver.received[2][1]  # the same body every attempt
    rows = await webhooks.deliveries(world.sessions, uuid.UUID(job["id"]))
    assert [(d["state"], d["attempts"], d["last_error"]) for d in rows] == [("delivered", 3, None)]


async def test_a_receiver_that_never_answers_well_gets_bounded_attempts(world: Any, receiver: Receiver) -> None:
    receiver.fail_first = 100
    seller = await world.seller()
    h = world.token(seller)
    r = await world.http.post("/v1/signing-jobs", headers=h, json={
        "seller_npwp": seller, "invoice_ids": [], "credential_id": str(uuid.uuid4()), "passphrase": "x",
        "callback_url": receiver.url})
    assert r.status_code == 422  # nothing selected: no job, no webhook
    r = await world.http.post("/v1/signing-jobs", headers=h, json={
        "seller_npwp": seller, "invoice_ids": [str(uuid.uuid4())], "credential_id": str(uuid.uuid4()),
        "passphrase": "x", "callback_url": receiver.url})
    job_id = uuid.UUID(r.json()["id"])
    await receiver.wait(4)
    await asyncio.sleep(1.5)
    assert len(receiver.received) == 4  # max_attempts
    rows = await webhooks.deliveries(world.sessions, job_id)
    assert [(d["state"], d["attempts"], d["last_error"]) for d in rows] == [("failed", 4, "HTTP 503")]


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "/relative",
                                 "http://", "http://user:secret@example.com/hook"])
async def test_only_http_callback_urls(world: Any, url: str) -> None:
    seller = await world.seller()
    h = world.token(seller)
    r = await world.http.post("/v1/invoice-uploads", params={"callback_url": url}, content=bulk(seller, 1, 1),
                              headers={**h, **XML})
    assert r.status_code == 422 and r.json()["code"] == "webhook.url_invalid", r.text
    r = await world.http.post("/v1/signing-jobs", headers=h, json={
        "seller_npwp": seller, "invoice_ids": [str(uuid.uuid4())], "credential_id": str(uuid.uuid4()),
        "passphrase": "x", "callback_url": url})
    assert r.status_code == 422 and r.json()["code"] == "webhook.url_invalid", r.text


async def test_two_concurrent_requests_with_one_key_run_once(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = service.create_draft

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.5)
        return await real(*args, **kwargs)

    monkeypatch.setattr(service, "create_draft", slow)
    seller = await world.seller()
    h = {**world.token(seller), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = world.draft_body(seller)
    a, b = await asyncio.gather(world.http.post("/v1/invoices", json=body, headers=h),
                                world.http.post("/v1/invoices", json=body, headers=h))
    assert sorted([a.status_code, b.status_code]) == [201, 409], (a.text, b.text)
    loser = a if a.status_code == 409 else b
    winner = b if loser is a else a
    assert loser.json()["code"] == "idempotency.in_progress"
    again = await world.http.post("/v1/invoices", json=body, headers=h)
    assert again.status_code == 201 and again.json()["id"] == winner.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await world.scalar("SELECT count(*) FROM invoice WHERE seller_npwp = :n AND ref_desc = :r",
                              n=seller, r=body["reference"]) == 1
    other = await world.http.post("/v1/invoices", json={**body, "reference": "X-1"}, headers=h)
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"


async def test_a_failed_request_releases_its_key(world: Any) -> None:
    seller = await world.seller()
    h = {**world.token(seller), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    bad = world.draft_body(seller, trx_code="99")
    r = await world.http.post("/v1/invoices", json=bad, headers=h)
    assert r.status_code == 422, r.text
    r = await world.http.post("/v1/invoices", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["code"] != "idempotency.in_progress", r.text
