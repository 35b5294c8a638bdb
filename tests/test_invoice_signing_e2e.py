"""Invoice's batch signing end to end against the REAL identity app (its database, token endpoint, signing endpoint and the
liveness sandbox over HTTP), reached from invoice's identity client through httpx.ASGITransport: a signer person
with a Kode Otorisasi, invoice's internal client (scope identity:sign), drafts by API, a signing job polled until
done; NSFP, signatures, outbox events and the buyer's input list checked."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pydantic import SecretStr
from sqlalchemy import select, text

from identity.credentials.settings import CredentialSettings
from identity.main import create_app as create_identity_app
from identity.settings import IdentitySettings, TokenSettings
from invoice.main import create_app
from invoice.models import invoice, invoice_line, signing_job, signing_job_item
from invoice.settings import IdentityClientSettings, InvoiceSettings
from invoice.signing.rules import canonical
from invoice.signing.service import commit_chunk, recover_stale
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker
from sandbox.liveness import running_sandbox
from services.invoice.tests.factories import add_seller, npwp16
from tests.identity_signer import internal_client, signer_with_credential

PASSPHRASE = "Rahasia#2025"
IDENTITY_TOKEN_KEY = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
MAKER = TokenMaker()


@pytest.fixture(scope="module")
def liveness_url() -> Iterator[str]:
    with running_sandbox() as url:
        yield url


@dataclass
class Signing:
    """Identity (real app) and invoice (real app) wired together; a seller whose signer holds a credential."""

    identity: httpx.AsyncClient
    http: httpx.AsyncClient  # invoice
    sessions: Any  # invoice database
    seller: str
    signer_account: uuid.UUID
    signer_name: str
    credential: dict[str, Any]

    def token(self, npwp: str, scopes: str = "invoice:read invoice:draft invoice:sign") -> dict[str, str]:
        act = {"sub": str(self.signer_account), "name": self.signer_name}
        return {"authorization": "Bearer " + MAKER.make(subject=npwp, scopes=scopes.split(), taxpayer_ids=[npwp],
                                                        act=act)}

    async def drafts(self, n: int, buyer: str) -> list[str]:
        ids = []
        for i in range(n):
            body = {"seller_npwp": self.seller, "invoice_date": "2025-03-10", "trx_code": "04" if i % 2 else "01",
                    "reference": f"INV-{uuid.uuid4().hex[:8]}",
                    "buyer": {"document": "TIN", "tin": buyer, "name": "PT Pembeli Sejahtera",
                              "address": "Jl. Merdeka No. 1, Jakarta"},
                    "lines": [{"name": "Kertas A4", "unit": "UM.0022", "price": str(100000 + i), "qty": "2"}]}
            r = await self.http.post("/v1/invoices", json=body, headers=self.token(self.seller))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        return ids

    async def sign(self, ids: list[str], passphrase: str = PASSPHRASE,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post("/v1/signing-jobs", headers=headers or self.token(self.seller), json={
            "invoice_ids": ids, "credential_id": self.credential["id"], "passphrase": passphrase})

    async def wait(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            r = await self.http.get(f"/v1/signing-jobs/{job_id}", headers=self.token(self.seller))
            assert r.status_code == 200, r.text
            job = r.json()
            if job["state"] == "completed":
                return job  # type: ignore[no-any-return]
            assert asyncio.get_running_loop().time() < deadline, job
            await asyncio.sleep(0.05)


@pytest.fixture
async def signing(infra: Any, liveness_url: str) -> AsyncIterator[Signing]:
    base = service_settings(infra, IdentitySettings, "identity")
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    id_settings = base.model_copy(update={
        "login": login, "tokens": TokenSettings(signing_key=SecretStr(IDENTITY_TOKEN_KEY)),
        "credentials": CredentialSettings(liveness_url=liveness_url, liveness_timeout_s=2.0)})
    id_engine = create_engine(id_settings.database, application_name="test.invoice.identity", pool_size=2)
    id_sessions = create_sessionmaker(engine=id_engine)
    inv_settings = service_settings(infra, InvoiceSettings, "invoice")
    inv_engine = create_engine(inv_settings.database, application_name="test.invoice.signing", pool_size=2)
    inv_sessions = create_sessionmaker(engine=inv_engine)
    try:
        async with api_client(create_identity_app(id_settings)) as identity:
            # the signer: a person with an account and a Kode Otorisasi
            name = f"Siti Penandatangan {uuid.uuid4().hex[:6]}"
            account_id, credential = await signer_with_credential(
                identity, id_sessions, id_settings, name=name, passphrase=PASSPHRASE,
                liveness_reference="ok-invoice-e2e")
            # invoice's own internal client, allowed to call the signing endpoint
            client_id, secret = await internal_client(id_sessions, id_settings, "invoice (test)")
            settings = inv_settings.model_copy(update={"identity": IdentityClientSettings(
                base_url="http://identity", client_id=client_id, client_secret=SecretStr(secret))})
            app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), identity_http=identity)
            async with api_client(app) as http:
                async with inv_sessions() as s, s.begin():
                    seller = await add_seller(s, name="PT Penjual Makmur", pkp_from=date(2025, 1, 1))
                yield Signing(identity, http, inv_sessions, seller, account_id, name, credential)
    finally:
        await inv_engine.dispose()
        await id_engine.dispose()


async def test_batch_signing_numbers_signs_publishes_and_lists(signing: Signing) -> None:
    buyer = npwp16()
    ids = await signing.drafts(4, buyer)
    created = await signing.sign(ids)
    assert created.status_code == 202, created.text
    assert created.json()["total"] == 4
    job = await signing.wait(created.json()["id"])
    assert (job["signed"], job["failed"], job["pending"]) == (4, 0, 0), job
    assert all(i["state"] == "signed" and i["error"] is None for i in job["items"])

    certificate = x509.load_pem_x509_certificate(signing.credential["certificate_pem"].encode())
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1"
    numbers = []
    for invoice_id in ids:
        got = (await signing.http.get(f"/v1/invoices/{invoice_id}", headers=signing.token(signing.seller))).json()
        assert got["status"] == "signed", got
        number = got["nsfp"]
        assert len(number) == 17 and number.isdigit(), number
        assert number[:2] == got["trx_code"] and number[2:4] == "00" and number[4:6] == "25"
        numbers.append(number)
        assert got["certificate_serial"] == signing.credential["serial_number"]
        # the signature is ECDSA P-256 over SHA-256 of the canonical content, as invoice computes it
        async with signing.sessions() as s:
            row = dict((await s.execute(select(invoice).where(invoice.c.id == uuid.UUID(invoice_id)))).mappings()
                       .one())
            lines = [dict(r) for r in (await s.execute(select(invoice_line).where(
                invoice_line.c.invoice_id == row["id"]).order_by(invoice_line.c.line_no))).mappings()]
        digest = hashlib.sha256(canonical(row, lines)).digest()
        assert row["content_digest"] == digest.hex()
        public_key.verify(base64.b64decode(got["signature"]), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        assert row["signed_by"] == str(signing.signer_account)
    assert len(set(numbers)) == 4

    async with signing.sessions() as s:
        events = [(k, e.data) for k, e, _ in await outbox_envelopes(s, event_type="InvoiceSigned", subjects=ids)]
    assert len(events) == 4 and {k for k, _ in events} == {signing.seller}
    assert sorted(p["nsfp"] for _, p in events) == sorted(numbers)
    assert all(p["buyer_npwp"] == buyer and p["seller_npwp"] == signing.seller for _, p in events)

    inbox = (await signing.http.get("/v1/invoices?view=input", headers=signing.token(buyer, "invoice:read"))).json()
    assert sorted(i["id"] for i in inbox["items"]) == sorted(ids)
    assert {i["nsfp"] for i in inbox["items"]} == set(numbers)

    # signed invoices are not signed again
    again = await signing.sign(ids[:1])
    assert again.status_code == 202
    assert again.json()["items"][0]["error"]["code"] == "signing.not_signable"


async def test_a_drafter_cannot_sign(signing: Signing) -> None:
    ids = await signing.drafts(1, npwp16())
    r = await signing.sign(ids, headers=signing.token(signing.seller, "invoice:read invoice:draft"))
    assert r.status_code == 403 and r.json()["code"] == "auth.missing_scope", r.text
    got = (await signing.http.get(f"/v1/invoices/{ids[0]}", headers=signing.token(signing.seller))).json()
    assert got["status"] == "draft" and got["nsfp"] is None


async def test_wrong_passphrase_fails_every_item_and_numbers_nothing(signing: Signing) -> None:
    ids = await signing.drafts(3, npwp16())
    created = await signing.sign(ids, passphrase="Salah#Sandi99")
    assert created.status_code == 202, created.text
    job = await signing.wait(created.json()["id"])
    assert (job["signed"], job["failed"], job["pending"]) == (0, 3, 0), job
    for item in job["items"]:
        assert item["state"] == "failed" and item["nsfp"] is None
        assert item["error"]["code"] == "signing.credential_rejected"
        assert item["error"]["path"] == "/passphrase"
        assert item["error"]["message"].startswith("wrong passphrase; 4 attempt(s) left"), item["error"]
    for invoice_id in ids:
        got = (await signing.http.get(f"/v1/invoices/{invoice_id}", headers=signing.token(signing.seller))).json()
        assert got["status"] == "draft" and got["nsfp"] is None and got["signature"] is None


async def test_two_jobs_over_the_same_drafts_sign_each_once(signing: Signing) -> None:
    ids = await signing.drafts(3, npwp16())
    first, second = await asyncio.gather(signing.sign(ids), signing.sign(ids))
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    jobs = [await signing.wait(first.json()["id"]), await signing.wait(second.json()["id"])]
    assert sum(j["signed"] for j in jobs) == 3 and sum(j["failed"] for j in jobs) == 3, jobs
    for job in jobs:
        for item in job["items"]:
            assert item["state"] == "signed" or item["error"]["code"] == "signing.not_signable", item
    numbers = {(await signing.http.get(f"/v1/invoices/{i}", headers=signing.token(signing.seller))).json()["nsfp"]
               for i in ids}
    assert len(numbers) == 3 and None not in numbers
    async with signing.sessions() as s:
        events = len(await outbox_envelopes(s, event_type="InvoiceSigned", subjects=ids))
    assert events == 3


async def test_a_stale_job_is_finished_and_its_late_chunk_signs_nothing(signing: Signing) -> None:
    ids = await signing.drafts(1, npwp16())
    job_id = uuid.uuid4()
    async with signing.sessions() as s, s.begin():
        await s.execute(signing_job.insert().values(
            id=job_id, seller_npwp=signing.seller, state="running", credential_id=signing.credential["id"],
            account_id=None, requested_by="test", total=1, heartbeat_at=text("now() - interval '10 minutes'")))
        await s.execute(signing_job_item.insert().values(job_id=job_id, invoice_id=uuid.UUID(ids[0]),
                                                         state="pending"))
    assert await recover_stale(signing.sessions, 60, set()) >= 1
    job = (await signing.http.get(f"/v1/signing-jobs/{job_id}", headers=signing.token(signing.seller))).json()
    assert job["state"] == "completed" and job["completed_at"] and job["failed"] == 1
    assert job["items"][0]["error"]["code"] == "signing.passphrase_required"
    # the process that was thought dead comes back with signatures: nothing of it is written
    async with signing.sessions() as s:
        row = dict((await s.execute(select(invoice).where(invoice.c.id == uuid.UUID(ids[0])))).mappings().one())
        job_row = (await s.execute(select(signing_job).where(signing_job.c.id == job_id))).mappings().one()
    wrote = await commit_chunk(signing.sessions, job_row, [row["id"]], [], {row["id"]: row},
                               {row["id"]: b"\0" * 32}, ["c2ln"], "serial")
    assert wrote is False
    got = (await signing.http.get(f"/v1/invoices/{ids[0]}", headers=signing.token(signing.seller))).json()
    assert got["status"] == "draft" and got["nsfp"] is None


async def test_only_the_credential_holder_signs_with_it(signing: Signing) -> None:
    ids = await signing.drafts(1, npwp16())
    someone_else = {"authorization": "Bearer " + MAKER.make(
        subject=str(uuid.uuid4()), scopes=["invoice:read", "invoice:sign"], taxpayer_ids=[signing.seller])}
    created = await signing.sign(ids, headers=someone_else)
    assert created.status_code == 202, created.text
    job = await signing.wait(created.json()["id"])
    assert job["failed"] == 1 and job["items"][0]["error"]["code"] == "signing.credential_rejected"
    assert job["items"][0]["error"]["message"] == "no such credential for this signer"


def pdf_text(content: bytes) -> str:
    """The text of a PDF's content streams (FlateDecode or plain): every `(...) Tj` string, in order, unescaped;
    whitespace collapsed. Enough for fpdf2's core-font output; no PDF library needed."""
    chunks = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        raw = m.group(1)
        with contextlib.suppress(zlib.error):
            raw = zlib.decompressobj().decompress(raw)  # tolerates a final CR lost to the pattern
        for s in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw):
            text = re.sub(rb"\\([nrtbf()\\])", lambda e: {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b",
                                                          b"f": b"\f"}.get(e.group(1), e.group(1)), s.group(1))
            chunks.append(text.decode("latin-1"))
    return " ".join(" ".join(chunks).split())


async def test_pdf_has_every_required_element_and_a_qr_to_public_verification(signing: Signing) -> None:
    buyer = npwp16()
    address = "Jl. Jend. Sudirman Kav. 52-53, Senayan, Kebayoran Baru, Jakarta Selatan 12190"
    async with signing.sessions() as s, s.begin():
        await s.execute(text("UPDATE taxpayer SET address = 'Jl. M.H. Thamrin No. 1, Jakarta Pusat' WHERE npwp = :n"),
                        {"n": signing.seller})
    body = {"seller_npwp": signing.seller, "invoice_date": "2025-03-10", "trx_code": "04", "reference": "INV/PDF/1",
            "buyer": {"document": "TIN", "tin": buyer, "name": "PT Pembeli Sejahtera Abadi", "address": address},
            "lines": [{"name": "Kertas A4 80 gram", "unit": "UM.0022", "price": "100000", "qty": "3",
                       "discount": "10000"},
                      {"opt": "B", "name": "Jasa pengiriman", "unit": "UM.0030", "price": "50000", "qty": "1"}]}
    r = await signing.http.post("/v1/invoices", json=body, headers=signing.token(signing.seller))
    assert r.status_code == 201, r.text
    inv = r.json()
    draft_pdf = await signing.http.get(f"/v1/invoices/{inv['id']}/pdf", headers=signing.token(signing.seller))
    assert draft_pdf.status_code == 409 and draft_pdf.json()["code"] == "invoice.not_signed"
    job = await signing.wait((await signing.sign([inv["id"]])).json()["id"])
    assert job["signed"] == 1, job
    signed = (await signing.http.get(f"/v1/invoices/{inv['id']}", headers=signing.token(signing.seller))).json()

    for reader in (signing.token(signing.seller, "invoice:read"), signing.token(buyer, "invoice:read")):
        got = await signing.http.get(f"/v1/invoices/{inv['id']}/pdf", headers=reader)
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf", got.text
        assert got.content.startswith(b"%PDF-")
    content = pdf_text(got.content)
    for element in ("PT Penjual Makmur", "Jl. M.H. Thamrin No. 1, Jakarta Pusat", signing.seller,
                    signing.seller + "000000", "PT Pembeli Sejahtera Abadi", address, buyer, buyer + "000000",
                    "Kertas A4 80 gram (Barang)", "Jasa pengiriman (Jasa)", "3 UM.0022", "100.000", "10.000",
                    "290.000", "Dasar Pengenaan Pajak (DPP) Rp 340.000", "Jumlah PPN (Pajak Pertambahan Nilai) Rp "
                    + f"{int(float(signed['ppn'])):,}".replace(",", "."), "Jumlah PPnBM", signed["nsfp"],
                    "10 Maret 2025", signing.signer_name, "/v1/public/invoices/" + signed["nsfp"] + "/verification"):
        assert element in content, (element, content)
    page = zlib.decompress(re.search(rb"stream\r?\n(.*?)\r?\nendstream", got.content, re.S).group(1))  # type: ignore[union-attr]
    assert page.count(b" re f") > 50  # the QR code: filled squares (vector)

    public = await signing.http.get(f"/v1/public/invoices/{signed['nsfp']}/verification")  # no token
    assert public.status_code == 200, public.text
    v = public.json()
    assert v["status"] == "signed" and v["signature"]["valid"] is True, v
    assert v["signature"]["signer"] == signing.signer_name
    assert v["seller"]["npwp"] == signing.seller and v["seller"]["name"] == "PT Penjual Makmur"
    assert v["buyer"]["id_masked"].endswith(buyer[-4:]) and buyer not in public.text
    assert v["ppn"] == signed["ppn"]
    assert (await signing.http.get("/v1/public/invoices/04002599999999999/verification")).status_code == 404
    # tampering with the stored content is seen
    async with signing.sessions() as s, s.begin():
        await s.execute(text("UPDATE invoice SET ppn = ppn + 1 WHERE id = :i"), {"i": uuid.UUID(inv["id"])})
    v = (await signing.http.get(f"/v1/public/invoices/{signed['nsfp']}/verification")).json()
    assert v["signature"]["valid"] is False and "content" in v["signature"]["reason"]


async def test_a_job_must_choose_its_invoices(signing: Signing) -> None:
    ids = await signing.drafts(1, npwp16())
    for selector in ({"invoice_ids": []}, {}):
        r = await signing.http.post("/v1/signing-jobs", headers=signing.token(signing.seller), json={
            **selector, "credential_id": signing.credential["id"], "passphrase": PASSPHRASE})
        assert r.status_code == 422 and r.json()["code"] == "signing.nothing_to_sign", (selector, r.text)
    got = (await signing.http.get(f"/v1/invoices/{ids[0]}", headers=signing.token(signing.seller))).json()
    assert got["status"] == "draft"
    by_period = await signing.http.post("/v1/signing-jobs", headers=signing.token(signing.seller), json={
        "period": "2025-03", "credential_id": signing.credential["id"], "passphrase": PASSPHRASE})
    assert by_period.status_code == 202, by_period.text
    assert (await signing.wait(by_period.json()["id"]))["signed"] >= 1


async def test_a_large_selection_is_one_query_not_too_many_parameters(signing: Signing) -> None:
    ids = await signing.drafts(1, npwp16())
    unknown = [str(uuid.uuid4()) for _ in range(33_000)]
    r = await signing.sign(unknown + ids)
    assert r.status_code == 202, r.text[:500]
    job = await signing.wait(r.json()["id"])
    assert (job["total"], job["signed"], job["failed"]) == (33_001, 1, 33_000)
    # a large job's view narrowed to the items in one state; the counts are still the whole job's
    signed = (await signing.http.get(f"/v1/signing-jobs/{job['id']}", params={"item_state": "signed"},
                                     headers=signing.token(signing.seller))).json()
    assert (signed["total"], signed["signed"], signed["failed"], signed["pending"]) == (33_001, 1, 33_000, 0)
    assert [(i["invoice_id"], i["state"]) for i in signed["items"]] == [(ids[0], "signed")]
    assert signed["items"][0]["nsfp"]
    bad = await signing.http.get(f"/v1/signing-jobs/{job['id']}", params={"item_state": "done"},
                                 headers=signing.token(signing.seller))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


# -- lifecycle of a signed invoice (tax-rules §3.6-3.9) -------------------------------------------------------------
async def _events(signing: Signing, event_type: str, aggregate: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, envelope as JSON) of the invoice's events of `event_type`."""
    async with signing.sessions() as s:
        return [(k, e.model_dump(mode="json"))
                for k, e, _ in await outbox_envelopes(s, event_type=event_type, subjects=[aggregate])]


async def _signed(signing: Signing, buyer: str, n: int = 1) -> list[dict[str, Any]]:
    ids = await signing.drafts(n, buyer)
    job = await signing.wait((await signing.sign(ids)).json()["id"])
    assert job["signed"] == n, job
    return [(await signing.http.get(f"/v1/invoices/{i}", headers=signing.token(signing.seller))).json() for i in ids]


async def test_replacement_keeps_the_serial_with_status_plus_one(signing: Signing) -> None:
    buyer = npwp16()
    (original,) = await _signed(signing, buyer)
    seller_h = signing.token(signing.seller)
    assert original["late"] is True and original["warnings"][0]["code"] == "invoice.late_upload"  # 2025-03 signed now
    # a drafter may not replace; the buyer's identity may not change by replacement
    r = await signing.http.post(f"/v1/invoices/{original['id']}/replacement", json={},
                                headers=signing.token(signing.seller, "invoice:read invoice:draft"))
    assert r.status_code == 403, r.text
    r = await signing.http.post(f"/v1/invoices/{original['id']}/replacement", json={"buyer": {"tin": npwp16()}},
                                headers=seller_h)
    assert r.status_code == 422 and r.json()["code"] == "replacement.buyer_identity_changed", r.text
    lines = [{"name": "Kertas A4 (koreksi)", "unit": "UM.0022", "price": "90000", "qty": "2"}]
    r = await signing.http.post(f"/v1/invoices/{original['id']}/replacement",
                                json={"lines": lines, "buyer": {"name": "PT Pembeli Sejahtera Tbk"}}, headers=seller_h)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["status_code"] == 1 and draft["replaces_id"] == original["id"]
    assert draft["reference"] == original["reference"] and draft["invoice_date"] != original["invoice_date"]
    assert draft["dpp"] == "180000.00" and draft["buyer"]["name"] == "PT Pembeli Sejahtera Tbk"
    again = await signing.http.post(f"/v1/invoices/{original['id']}/replacement", json={}, headers=seller_h)
    assert again.status_code == 409 and again.json()["code"] == "replacement.pending"
    cancel = await signing.http.post(f"/v1/invoices/{original['id']}/cancellation", json={"reason": "x"},
                                     headers=seller_h)
    assert cancel.status_code == 409 and cancel.json()["code"] == "cancellation.replacement_pending"
    # a replacement draft keeps its buyer identity when edited too
    put = await signing.http.patch(f"/v1/invoices/{draft['id']}", json={"buyer": {"tin": npwp16()}},
                                   headers=seller_h)
    assert put.status_code == 422 and put.json()["code"] == "replacement.buyer_identity_changed", put.text

    job = await signing.wait((await signing.sign([draft["id"]])).json()["id"])
    assert job["signed"] == 1, job
    signed = (await signing.http.get(f"/v1/invoices/{draft['id']}", headers=seller_h)).json()
    assert signed["nsfp"] == original["nsfp"][:2] + "01" + original["nsfp"][4:], (signed["nsfp"], original["nsfp"])
    assert signed["late"] is False and signed["warnings"] == []  # dated today: deadline the 20th of next month
    old = (await signing.http.get(f"/v1/invoices/{original['id']}", headers=seller_h)).json()
    assert old["status"] == "replaced" and old["replaced_by"] == draft["id"]
    (key, payload), = await _events(signing, "InvoiceReplaced", original["id"])
    assert key == signing.seller and payload["data"]["replacement_nsfp"] == signed["nsfp"]
    assert payload["data"]["replacement_dpp"] == "180000.00" and payload["data"]["status_code"] == 1
    assert len(await _events(signing, "InvoiceSigned", draft["id"])) == 1
    # the replaced one is closed; the replacement can be replaced again (status 02, same serial)
    r = await signing.http.post(f"/v1/invoices/{original['id']}/replacement", json={}, headers=seller_h)
    assert r.status_code == 409 and r.json()["code"] == "replacement.already_replaced"
    second = (await signing.http.post(f"/v1/invoices/{draft['id']}/replacement", json={}, headers=seller_h)).json()
    job = await signing.wait((await signing.sign([second["id"]])).json()["id"])
    got = (await signing.http.get(f"/v1/invoices/{second['id']}", headers=seller_h)).json()
    assert got["nsfp"] == original["nsfp"][:2] + "02" + original["nsfp"][4:]
    # buyer actions on a replaced invoice are refused with their codes
    buyer_h = signing.token(buyer)
    r = await signing.http.post(f"/v1/invoices/{original['id']}/input-tax", json={"action": "credit",
                                                                                 "period": "2025-03"},
                                headers=buyer_h)
    assert r.status_code == 409 and r.json()["code"] == "input_tax.invoice_replaced"


async def test_cancellation_returns_and_input_tax(signing: Signing) -> None:
    buyer = npwp16()
    a, b, c = await _signed(signing, buyer, 3)
    seller_h, buyer_h = signing.token(signing.seller), signing.token(buyer)
    post = signing.http.post

    # cancellation: seller only, with invoice:sign; once
    r = await post(f"/v1/invoices/{a['id']}/cancellation", json={"reason": "kontrak batal"}, headers=buyer_h)
    assert r.status_code == 403 and r.json()["code"] == "invoice.not_seller"
    r = await post(f"/v1/invoices/{a['id']}/cancellation", json={"reason": "kontrak batal"},
                   headers=signing.token(signing.seller, "invoice:read invoice:draft"))
    assert r.status_code == 403
    r = await post(f"/v1/invoices/{a['id']}/cancellation", json={"reason": "kontrak batal", "proof": "ADD-7"},
                   headers=seller_h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    r = await post(f"/v1/invoices/{a['id']}/cancellation", json={"reason": "lagi"}, headers=seller_h)
    assert r.status_code == 409 and r.json()["code"] == "cancellation.already_cancelled"
    (key, payload), = await _events(signing, "InvoiceCancelled", a["id"])
    assert key == signing.seller and payload["data"]["ppn"] == a["ppn"] and payload["data"]["nsfp"] == a["nsfp"]
    r = await post(f"/v1/invoices/{a['id']}/replacement", json={}, headers=seller_h)
    assert r.status_code == 409 and r.json()["code"] == "replacement.cancelled"
    r = await post(f"/v1/invoices/{a['id']}/returns", json={"lines": [{"line_no": 1, "qty": "1"}]}, headers=buyer_h)
    assert r.status_code == 409 and r.json()["code"] == "return.invoice_not_signed"
    r = await post(f"/v1/invoices/{a['id']}/input-tax", json={"action": "credit", "period": "2025-03"},
                   headers=buyer_h)
    assert r.status_code == 409 and r.json()["code"] == "input_tax.invoice_cancelled"
    cancelled_xml = (await signing.http.get("/v1/invoices/export?period=2025-03&status=cancelled",
                                            headers=seller_h)).text
    assert f"<RefDesc>{a['reference']}</RefDesc>" in cancelled_xml
    assert f"<RefDesc>{b['reference']}</RefDesc>" not in cancelled_xml
    draft = (await signing.drafts(1, buyer))[0]
    r = await post(f"/v1/invoices/{draft}/cancellation", json={"reason": "x"}, headers=seller_h)
    assert r.status_code == 409 and r.json()["code"] == "cancellation.not_signed"

    # returns: buyer only, partial, cumulative never above the invoiced quantity (2)
    r = await post(f"/v1/invoices/{b['id']}/returns", json={"lines": [{"line_no": 1, "qty": "1"}]}, headers=seller_h)
    assert r.status_code == 403 and r.json()["code"] == "invoice.not_buyer"
    for lines, code in (([], "return.empty"), ([{"line_no": 9, "qty": "1"}], "return.line_unknown"),
                        ([{"line_no": 1, "qty": "0"}], "return.qty_not_positive"),
                        ([{"line_no": 1, "qty": "2.5"}], "return.qty_exceeds_invoiced"),
                        ([{"line_no": 1, "qty": "1"}, {"line_no": 1, "qty": "1"}], "return.line_repeated")):
        r = await post(f"/v1/invoices/{b['id']}/returns", json={"lines": lines}, headers=buyer_h)
        assert r.status_code == 422 and r.json()["code"] == code, (lines, r.text)
    r = await post(f"/v1/invoices/{b['id']}/returns", json={"lines": [{"line_no": 1, "qty": "1.5"}], "number": "NR-1",
                                                            "return_date": "2025-04-02"}, headers=buyer_h)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["period"] == "2025-04" and first["lines"][0]["qty"] in ("1.5", "1.50")
    r = await post(f"/v1/invoices/{b['id']}/returns", json={"lines": [{"line_no": 1, "qty": "0.51"}]},
                   headers=buyer_h)
    assert r.status_code == 422 and r.json()["code"] == "return.qty_exceeds_invoiced"
    r = await post(f"/v1/invoices/{b['id']}/returns", json={"lines": [{"line_no": 1, "qty": "0.5"}]}, headers=buyer_h)
    assert r.status_code == 201, r.text
    line = b["lines"][0]
    listed = (await signing.http.get(f"/v1/invoices/{b['id']}/returns", headers=seller_h)).json()
    assert len(listed) == 2
    for field in ("tax_base", "other_tax_base", "vat"):  # the last return takes the remainder: exact sums
        assert sum(Decimal(x["lines"][0][field]) for x in listed) == Decimal(line[field])
    events = await _events(signing, "ReturnIssued", b["id"])
    assert len(events) == 2 and {k for k, _ in events} == {buyer}
    assert {p["data"]["ppn"] for _, p in events} == {first["ppn"], r.json()["ppn"]}

    # input tax: buyer, within the invoice's period + 3
    r = await post(f"/v1/invoices/{c['id']}/input-tax", json={"action": "credit", "period": "2025-07"},
                   headers=buyer_h)
    assert r.status_code == 422 and r.json()["code"] == "input_tax.outside_window"
    r = await post(f"/v1/invoices/{c['id']}/input-tax", json={"action": "credit", "period": "2025-02"},
                   headers=buyer_h)
    assert r.status_code == 422 and r.json()["code"] == "input_tax.outside_window"
    r = await post(f"/v1/invoices/{c['id']}/input-tax", json={"action": "credit", "period": "2025-06"},
                   headers=seller_h)
    assert r.status_code == 403 and r.json()["code"] == "invoice.not_buyer"
    r = await post(f"/v1/invoices/{c['id']}/input-tax", json={"action": "credit", "period": "2025-06"},
                   headers=buyer_h)
    assert r.status_code == 200 and r.json()["input_tax_action"] == "credit", r.text
    r = await post(f"/v1/invoices/{c['id']}/input-tax", json={"action": "reject", "period": "2025-06"},
                   headers=buyer_h)
    assert r.status_code == 409 and r.json()["code"] == "input_tax.already_decided"
    (key, payload), = await _events(signing, "InputTaxCredited", c["id"])
    assert key == buyer and payload["data"]["period"] == "2025-06" and payload["data"]["ppn"] == c["ppn"]
    r = await post(f"/v1/invoices/{c['id']}/cancellation", json={"reason": "x"}, headers=seller_h)
    assert r.status_code == 409 and r.json()["code"] == "cancellation.input_tax_credited"
    r = await post(f"/v1/invoices/{b['id']}/input-tax", json={"action": "reject", "period": "2026-01"},
                   headers=buyer_h)
    assert r.status_code == 200 and r.json()["input_tax_action"] == "reject"
