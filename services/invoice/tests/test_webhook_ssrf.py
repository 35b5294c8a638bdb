"""The webhook SSRF guard through the API and the job loop: a callback_url naming a non-public address is refused
with 422 `webhook.url_forbidden` and nothing is created; a name that resolves to a forbidden address when the
webhook is sent (DNS rebinding) is refused, recorded `failed` at once with the reason and never sent; an allowed
name is connected to at the address vetted, not resolved a second time. The policy's unit tests are in
libs/kit/tests/unit/test_webhooks.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
import uuid
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from devstack.testing.serving import serving
from invoice.settings import InvoiceSettings
from kit import webhooks
from kit.webhooks import WebhookSettings

XML = {"content-type": "application/xml"}
BULK = ('<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>{seller}</TIN><ListOfTaxInvoice><TaxInvoice>'
        "<TaxInvoiceDate>2025-02-03</TaxInvoiceDate><TaxInvoiceOpt>Normal</TaxInvoiceOpt><TrxCode>04</TrxCode>"
        "<RefDesc>SSRF-1</RefDesc><SellerIDTKU>{seller}000000</SellerIDTKU><BuyerTin>0013121660091000</BuyerTin>"
        "<BuyerDocument>TIN</BuyerDocument><BuyerCountry>IDN</BuyerCountry><BuyerName>PT Pembeli</BuyerName>"
        "<BuyerAdress>Jl. Contoh 1</BuyerAdress><BuyerIDTKU>0013121660091000000000</BuyerIDTKU><ListOfGoodService>"
        "<GoodService><Opt>A</Opt><Code>000000</Code><Name>Barang</Name><Unit>UM.0018</Unit><Price>100000.00</Price>"
        "<Qty>2</Qty><TotalDiscount>0</TotalDiscount><TaxBase>200000.00</TaxBase><OtherTaxBase>183333.33"
        "</OtherTaxBase><VATRate>12</VATRate><VAT>22000.00</VAT><STLGRate>0</STLGRate><STLG>0</STLG></GoodService>"
        "</ListOfGoodService></TaxInvoice></ListOfTaxInvoice></TaxInvoiceBulk>")


@pytest.fixture
def settings(settings: InvoiceSettings, request: pytest.FixtureRequest) -> InvoiceSettings:
    """The secure default unless a test parametrizes `settings` (indirect) with the CIDRs it allows."""
    return settings.model_copy(update={"webhooks": WebhookSettings(
        secret=SecretStr("test-webhook-secret"), timeout_s=2.0, backoff_base_s=0.2, backoff_cap_s=1.0,
        max_attempts=4, allowed_networks=getattr(request, "param", []))})


class Receiver:
    """A webhook endpoint on loopback: the headers of what it received; `port` once it runs."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.port = 0
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.received.append(dict(request.headers))
            return Response(status_code=204)


def running(r: Receiver, **tls: str) -> Iterator[Receiver]:
    with serving(r.app, name="webhook-receiver", **tls) as base:
        r.port = int(base.rsplit(":", 1)[1])
        yield r


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running(Receiver())


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[Receiver]:
    """An https receiver whose certificate names only `receiver.test` (self-signed; its file is the CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "receiver.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("receiver.test")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    r = Receiver()
    r.ca = str(tmp_path / "cert.pem")  # type: ignore[attr-defined]
    yield from running(r, ssl_certfile=str(tmp_path / "cert.pem"), ssl_keyfile=str(tmp_path / "key.pem"))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A resolver under the test's control (names in .example/.invalid never resolve for real): answers by host,
    and every lookup made."""
    stub: dict[str, Any] = {"answers": {}, "lookups": []}

    async def resolve(host: str, port: int, timeout_s: float) -> list[IPv4Address | IPv6Address]:
        stub["lookups"].append(host)
        return [ip_address(a) for a in stub["answers"][host]]

    monkeypatch.setattr(webhooks, "resolve", resolve)
    return stub


async def signing_job_with_callback(world: Any, seller: str, url: str) -> uuid.UUID:
    """A signing job with nothing signable: it completes at once and its webhook is queued."""
    r = await world.http.post("/v1/signing-jobs", headers=world.token(seller), json={
        "seller_npwp": seller, "invoice_ids": [str(uuid.uuid4())], "credential_id": str(uuid.uuid4()),
        "passphrase": "x", "callback_url": url})
    assert r.status_code == 202 and r.json()["state"] == "completed", r.text
    return uuid.UUID(r.json()["id"])


async def delivery_settled(world: Any, subject_id: uuid.UUID, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = await webhooks.deliveries(world.sessions, subject_id)
        if rows and rows[0]["state"] != "pending":
            return rows[0]
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://2130706433/hook",
    "http://0x7f.0.0.1:8002/v1/invoices", "http://[::ffff:127.0.0.1]:8001/internal/v1/signatures",
    "http://localhost:8025/messages", "https://10.0.0.5/hook", "http://[fd00::1]/hook", "http://0/hook",
])
async def test_a_forbidden_callback_url_is_refused_and_nothing_is_created(world: Any, url: str) -> None:
    seller = await world.seller()
    h = {**world.token(seller), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    r = await world.http.post("/v1/invoice-uploads", params={"callback_url": url},
                              content=BULK.format(seller=seller).encode(), headers={**h, **XML})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["code"] == "webhook.url_forbidden" and "public addresses only" in r.json()["detail"], r.text
    r = await world.http.post("/v1/signing-jobs", headers=h, json={
        "seller_npwp": seller, "invoice_ids": [str(uuid.uuid4())], "credential_id": str(uuid.uuid4()),
        "passphrase": "x", "callback_url": url})
    assert r.status_code == 422 and r.json()["code"] == "webhook.url_forbidden", r.text
    for table in ("invoice_upload", "signing_job", "invoice"):
        assert await world.scalar(f"SELECT count(*) FROM {table} WHERE seller_npwp = :n", n=seller) == 0, table
    assert await world.scalar("SELECT count(*) FROM idempotency_key WHERE key = :k", k=h["Idempotency-Key"]) == 0
    codes = {c["code"] for c in (await world.http.get("/v1/error-codes")).json()}
    assert "webhook.url_forbidden" in codes


async def test_a_name_rebound_to_loopback_is_refused_at_delivery_and_failed_at_once(
        world: Any, receiver: Receiver, dns: dict[str, Any]) -> None:
    seller = await world.seller()
    # a public-looking name is accepted at submission (names are not resolved then); when the webhook goes out
    # it resolves to loopback, as a rebinding attacker's DNS would answer
    dns["answers"]["rebind.pjap.example"] = ["127.0.0.1"]
    job_id = await signing_job_with_callback(world, seller, f"http://rebind.pjap.example:{receiver.port}/hook")
    row = await delivery_settled(world, job_id)
    assert row["state"] == "failed" and row["attempts"] == 1, row
    assert row["last_error"] == (
        "refused: rebind.pjap.example resolves to 127.0.0.1, a loopback address"), row
    await asyncio.sleep(0.8)  # several loop turns and back-offs later: never retried, never sent
    assert [(d["state"], d["attempts"]) for d in await webhooks.deliveries(world.sessions, job_id)] == [("failed", 1)]
    assert receiver.received == []


@pytest.mark.parametrize("settings", [["127.0.0.1/32"]], indirect=True)
async def test_an_allowed_name_is_connected_to_at_the_address_vetted(world: Any, receiver: Receiver,
                                                                     dns: dict[str, Any]) -> None:
    seller = await world.seller()
    dns["answers"]["receiver.invalid"] = ["127.0.0.1"]  # .invalid never resolves: only the vetted address works
    job_id = await signing_job_with_callback(world, seller, f"http://receiver.invalid:{receiver.port}/hook")
    row = await delivery_settled(world, job_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 1, None), row
    assert dns["lookups"] == ["receiver.invalid"]  # resolved once
    [headers] = receiver.received
    assert headers["host"] == f"receiver.invalid:{receiver.port}" and headers["lontar-delivery"] == str(row["id"])


async def test_https_goes_to_the_vetted_address_and_checks_the_certificate_for_the_name(
        tls_receiver: Receiver, dns: dict[str, Any]) -> None:
    dns["answers"]["receiver.test"] = ["127.0.0.1"]
    dns["answers"]["impostor.test"] = ["127.0.0.1"]
    local = WebhookSettings(allowed_networks=["127.0.0.1/32"])
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=tls_receiver.ca),  # type: ignore[attr-defined]
                                 follow_redirects=False) as http:
        r = await webhooks.send(http, local, f"https://receiver.test:{tls_receiver.port}/hook", b"{}", {})
        assert r.status_code == 204 and tls_receiver.received[0]["host"] == f"receiver.test:{tls_receiver.port}"
        with pytest.raises(httpx.ConnectError, match="certificate"):  # the certificate does not name it
            await webhooks.send(http, local, f"https://impostor.test:{tls_receiver.port}/hook", b"{}", {})
    assert len(tls_receiver.received) == 1
