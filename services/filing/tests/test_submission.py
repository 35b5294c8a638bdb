"""Submission of the SPT Masa PPN on the real PostgreSQL and broker, signed through identity's protocol (the
stand-in on loopback, `identity_standin`): a nil or lebih bayar return files at once with a receipt and
SPTSubmitted; a kurang bayar one waits for payment (SPTPaymentRequested) until payment's PaymentConfirmed, delivered
through the broker, files it (once, however often it is delivered), and BillingExpired sends it back to draft; a
late filing bears one STP; every refusal has its code and changes nothing. The API's clock is 15 April 2026."""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sqlalchemy import insert, select, text

from filing.assessments.models import audit
from filing.main import create_app
from filing.obligations.kinds import Obligation
from filing.registry.handlers import identity_handlers
from filing.returns.handlers import invoice_handlers
from filing.sanctions import service as sanctions
from filing.sanctions.stp import bill_due_date
from filing.settings import FilingSettings, IdentityClientSettings
from filing.submissions.handlers import payment_handlers
from filing.submissions.models import spt_submission
from kit.auth import JWKSCache
from kit.clock import JAKARTA, FixedClock
from kit.testing.events import outbox_envelopes, random_npwp
from kit.testing.service import api_client, free_port
from services.filing.tests.conftest import MAKER, TODAY, Bus, account_of, auth
from services.filing.tests.factories import (
    billing_expired,
    cancelled,
    envelope,
    identity_envelopes,
    keyed,
    payment_confirmed,
    registered,
    signed,
)
from services.filing.tests.identity_standin import StandIn

PATH = "/v1/returns/spt-masa-ppn"
RECEIPT = re.compile(r"^BPE-\d{8}-[0-9A-Z]{12}$")


def pdf_text(content: bytes) -> str:
    """The text of fpdf2's core-font content streams: every `(...) Tj` string, in order (no PDF library needed)."""
    chunks = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        raw = m.group(1)
        with contextlib.suppress(zlib.error):
            # a stream whose last byte is a CR loses it to the pattern: decompressobj takes the stream without it
            raw = zlib.decompressobj().decompress(raw)
        chunks += [re.sub(rb"\\([()\\])", rb"\1", t).decode("latin-1")
                   for t in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw)]
    return " ".join(chunks)


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, response.json()["code"]


async def pkp(bus: Bus, *invoices: dict[str, str]) -> str:
    """A company, PKP since 1 Jan 2025, with these invoices of March 2026 (dpp, ppn, ppnbm) consumed."""
    taxpayer = registered()
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(taxpayer, (True, date(2025, 1, 1))))
    if invoices:
        await bus.send(invoice_handlers(), "invoice-events", [keyed(signed(
            taxpayer.npwp, buyer=random_npwp(), period="2026-03", dpp_other=None, **i)) for i in invoices])
    return taxpayer.npwp


class Filer:
    """The taxpayer's signer (Ani) with a credential at identity, submitting through the API."""

    def __init__(self, api: httpx.AsyncClient, identity: StandIn, npwp: str) -> None:
        self.api, self.identity, self.npwp = api, identity, npwp
        self.credential = identity.credential(account_of(npwp))

    async def submit(self, period: str = "2026-03", *, passphrase: str | None = None, **extra: Any) -> httpx.Response:
        headers = {**auth(self.npwp), **extra.pop("headers", {})}
        body = {"credential_id": self.credential.id, "passphrase": passphrase or self.credential.passphrase, **extra}
        return await self.api.post(f"{PATH}/{period}/submission", json=body, headers=headers)

    async def submission(self, period: str = "2026-03") -> httpx.Response:
        return await self.api.get(f"{PATH}/{period}/submission", headers=auth(self.npwp))

    async def draft(self, period: str = "2026-03") -> dict[str, Any]:
        return (await self.api.get(f"{PATH}/{period}", headers=auth(self.npwp))).json()  # type: ignore[no-any-return]


async def events(bus: Bus, event_type: str, spt_id: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(key, envelope sequence, data) of the SPT's events of `event_type`, in outbox order."""
    async with bus.sessions() as s:
        return [(k, e.sequence, e.data) for k, e, _ in
                await outbox_envelopes(s, event_type=event_type, subjects=[spt_id])]


async def test_a_nil_return_files_at_once_with_a_receipt_anyone_can_verify(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus))
    response = await filer.submit(**{"headers": {"Idempotency-Key": "file-march"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"], body["spt_version"], body["version_label"]) == (
        "filed", "nihil", 0, "Normal")
    assert (body["amount_payable"], body["overpayment"], body["payments"], body["stps"]) == ("0", "0", [], [])
    receipt = body["receipt"]
    assert RECEIPT.match(receipt["number"]) and receipt["number"].startswith("BPE-20260415-")
    assert (receipt["late"], receipt["due_date"], receipt["ntpn"]) == (False, "2026-04-30", None)
    assert receipt["content_digest"] == body["content_digest"] and body["signer_account_id"] == account_of(filer.npwp)

    # SPTSubmitted once, keyed by the NPWP, its sequence the version's revision; no payment asked
    (key, sequence, data), = await events(bus, "SPTSubmitted", body["spt_id"])
    assert (key, sequence) == (filer.npwp, body["revision"])
    assert (data["receipt_number"], data["content_digest"], data["outcome"], data["late"], data["amount_payable"]) == (
        receipt["number"], body["content_digest"], "nihil", False, "0")
    assert await events(bus, "SPTPaymentRequested", body["spt_id"]) == []

    # what was stored is what identity signed: the content hashes to the digest, the signature verifies
    async with bus.sessions() as s:
        stored = (await s.execute(select(spt_submission).where(
            spt_submission.c.spt_id == uuid.UUID(body["spt_id"])))).one()
    digest = bytes.fromhex(body["content_digest"])
    key_ = x509.load_pem_x509_certificate(filer.credential.certificate_pem.encode()).public_key()
    assert isinstance(key_, ec.EllipticCurvePublicKey)
    key_.verify(base64.b64decode(stored.signature), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    assert '"period":"2026-03"' in stored.content and f'"spt_id":"{body["spt_id"]}"' in stored.content

    # the receipt: the taxpayer's own, its PDF, its public verification (minimal, no token)
    own = await signing_api.get(f"/v1/receipts/{receipt['number']}", headers=auth(filer.npwp))
    assert own.status_code == 200 and own.json() == receipt
    other = random_npwp()
    assert problem(await signing_api.get(f"/v1/receipts/{receipt['number']}", headers=auth(other))) == (
        404, "receipt.not_found")
    pdf = await signing_api.get(f"/v1/receipts/{receipt['number']}/pdf", headers=auth(filer.npwp))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    printed = pdf_text(pdf.content)
    for part in (receipt["number"], filer.npwp, "SPT Masa PPN", "Maret 2026", "Normal", "Ani Penandatangan",
                 body["content_digest"], f"/v1/receipts/{receipt['number']}/verification"):
        assert part in printed, part
    verified = (await signing_api.get(f"/v1/receipts/{receipt['number']}/verification")).json()
    assert verified == {"number": receipt["number"], "npwp_masked": "*" * 12 + filer.npwp[-4:],
                        "form": "spt_masa_ppn", "period": "2026-03", "filed_at": receipt["filed_at"],
                        "content_digest": body["content_digest"], "valid": True,
                        "reason": "the digest matches the signed content and the signature is valid"}
    assert problem(await signing_api.get("/v1/receipts/BPE-20260415-000000000000/verification")) == (
        404, "receipt.not_found")
    assert problem(await signing_api.get("/v1/receipts/nonsense/verification")) == (422, "request.invalid")

    # the obligation now reads filed; the same request again is the stored answer; another is a second Normal
    obligations = (await signing_api.get("/v1/obligations", params={"from": "2026-03", "to": "2026-03"},
                                         headers=auth(filer.npwp))).json()
    assert [(i["obligation"], i["status"], i["filed_on"]) for i in obligations["items"]
            if i["obligation"] == "spt_masa_ppn"] == [("spt_masa_ppn", "filed", "2026-04-15")]
    again = await filer.submit(**{"headers": {"Idempotency-Key": "file-march"}})
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == body
    calls = identity.signing_calls
    second = await filer.submit(kind="normal")  # without `kind`, the next submission is a pembetulan
    assert problem(second) == (409, "return.normal_exists")
    assert identity.signing_calls == calls  # refused before anything was signed
    assert len(await events(bus, "SPTSubmitted", body["spt_id"])) == 1
    assert (await filer.submission()).json() == body


async def test_a_lebih_bayar_return_files_at_once_and_a_stale_revision_is_refused(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "10000000", "ppn": "1100000"}))
    put = await signing_api.put(f"{PATH}/2026-03/draft", json={"compensation": "1500000"}, headers=auth(filer.npwp))
    assert put.json()["open_return"]["revision"] == 1
    assert problem(await filer.submit(revision=0)) == (409, "return.changed")
    response = await filer.submit(revision=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"], body["overpayment"], body["revision"]) == (
        "filed", "lebih_bayar", "400000", 2)
    (_, sequence, data), = await events(bus, "SPTSubmitted", body["spt_id"])
    assert (sequence, data["outcome"], data["overpayment"]) == (2, "lebih_bayar", "400000")


async def test_a_kurang_bayar_return_waits_for_payment_and_a_confirmed_payment_files_it_once(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "100000000", "ppn": "11000000"}))
    response = await filer.submit()
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"], body["amount_payable"], body["receipt"]) == (
        "awaiting_payment", "kurang_bayar", "11000000", None)
    assert [(p["kap_kjs"], p["amount"], p["status"], p["payment_due_date"]) for p in body["payments"]] == [
        ("411211-100", "11000000", "requested", "2026-04-30")]
    (key, sequence, request), = await events(bus, "SPTPaymentRequested", body["spt_id"])
    assert (key, sequence) == (filer.npwp, body["revision"])
    assert (request["kap_kjs"], request["amount"], request["period"], request["payment_due_date"]) == (
        "411211-100", "11000000", "2026-03", "2026-04-30")
    assert await events(bus, "SPTSubmitted", body["spt_id"]) == []
    # waiting: neither the draft nor a second submission moves it
    assert problem(await signing_api.put(f"{PATH}/2026-03/draft", json={"compensation": "1"},
                                         headers=auth(filer.npwp))) == (409, "return.not_draft")
    assert problem(await filer.submit()) == (409, "return.not_draft")

    paid_at = datetime(2026, 4, 20, 10, 15, tzinfo=JAKARTA)
    paid = envelope(payment_confirmed(request, paid_at=paid_at), key=filer.npwp)
    handlers = payment_handlers(FixedClock(date(2026, 4, 20)))
    await bus.send(handlers, "payment-events", [paid])
    filed = (await filer.submission()).json()
    receipt = filed["receipt"]
    assert (filed["status"], filed["payments"][0]["status"], filed["payments"][0]["ntpn"]) == (
        "filed", "paid", paid["data"]["ntpn"])
    assert (receipt["ntpn"], receipt["billing_code"], receipt["payment_date"], receipt["late"]) == (
        paid["data"]["ntpn"], paid["data"]["billing_code"], "2026-04-20", False)
    assert datetime.fromisoformat(receipt["filed_at"]) == paid_at  # filed with the payment
    (key, sequence, data), = await events(bus, "SPTSubmitted", body["spt_id"])
    assert (key, sequence, data["ntpn"], data["payment_date"], data["amount_payable"]) == (
        filer.npwp, filed["revision"], paid["data"]["ntpn"], "2026-04-20", "11000000")

    # delivered again, and republished under another event id: nothing moves
    republished = envelope(payment_confirmed(request, paid_at=paid_at), key=filer.npwp)
    republished["data"] = {**paid["data"]}
    await bus.send(handlers, "payment-events", [paid, republished])
    assert (await filer.submission()).json() == filed
    assert len(await events(bus, "SPTSubmitted", body["spt_id"])) == 1
    assert (await filer.draft())["open_return"] is None


async def test_a_kurang_bayar_return_paid_after_its_due_date_is_filed_late_with_an_stp(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "1000000", "ppn": "110000", "ppnbm": "100000"}))
    body = (await filer.submit()).json()
    assert [(p["kap_kjs"], p["amount"]) for p in body["payments"]] == [("411211-100", "110000"),
                                                                        ("411221-100", "100000")]
    requests = [data for _, _, data in await events(bus, "SPTPaymentRequested", body["spt_id"])]
    assert sorted(r["kap_kjs"] for r in requests) == ["411211-100", "411221-100"]
    handlers = payment_handlers(FixedClock(date(2026, 5, 4)))
    ppn, ppnbm = sorted(requests, key=lambda r: r["kap_kjs"])
    await bus.send(handlers, "payment-events", [envelope(payment_confirmed(
        ppn, paid_at=datetime(2026, 4, 29, 9, 0, tzinfo=JAKARTA)), key=filer.npwp)])
    assert (await filer.submission()).json()["status"] == "awaiting_payment"  # PPnBM not paid yet
    await bus.send(handlers, "payment-events", [envelope(payment_confirmed(
        ppnbm, paid_at=datetime(2026, 5, 4, 8, 0, tzinfo=JAKARTA)), key=filer.npwp)])
    filed = (await filer.submission()).json()
    assert (filed["status"], filed["receipt"]["late"], filed["receipt"]["payment_date"]) == (
        "filed", True, "2026-04-29")  # the PPN payment's date on the receipt; filed with the last payment
    assert datetime.fromisoformat(filed["receipt"]["filed_at"]) == datetime(2026, 5, 4, 8, 0, tzinfo=JAKARTA)
    (stp,) = filed["stps"]
    assert (stp["reason"], stp["kap_kjs"], stp["amount"], stp["issued_on"], stp["due_date"]) == (
        "late_filing", "411211-300", "500000", "2026-05-04", "2026-06-04")
    (_, _, issued), = [e for e in await _stp_events(bus, filer.npwp)]
    assert (issued["stp_number"], issued["spt_id"], issued["amount"]) == (stp["number"], body["spt_id"], "500000")


async def _stp_events(bus: Bus, npwp: str) -> list[tuple[str, int, dict[str, Any]]]:
    async with bus.sessions() as s:
        return [(k, e.sequence, e.data) for k, e, _ in await outbox_envelopes(s, event_type="STPIssued")
                if k == npwp]


async def test_a_late_return_bears_one_stp(signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus))
    response = await filer.submit("2026-02")  # due 31 March, filed 15 April
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["receipt"]["late"], body["due_date"]) == ("filed", True, "2026-03-31")
    (stp,) = body["stps"]
    due = bill_due_date(TODAY)
    assert due.effective == date(2026, 5, 18)  # 15 May is cuti bersama, then a weekend (PMK-81/2024 Art 100)
    assert (stp["reason"], stp["basis"], stp["kap_kjs"], stp["amount"], stp["form"], stp["period"]) == (
        "late_filing", "UU KUP Art 7(1)", "411211-300", "500000", "spt_masa_ppn", "2026-02")
    assert (stp["issued_on"], stp["due_date"]) == ("2026-04-15", "2026-05-18")
    assert stp["number"].startswith("STP-2026-")
    (key, sequence, issued), = await _stp_events(bus, filer.npwp)
    assert (key, sequence, issued["stp_id"], issued["due_date"], issued["spt_id"]) == (
        filer.npwp, 1, stp["id"], "2026-05-18", body["spt_id"])
    (_, _, submitted), = await events(bus, "SPTSubmitted", body["spt_id"])
    assert (submitted["late"], submitted["due_date"]) == (True, "2026-03-31")
    # the fine is issued once per return, whoever asks again
    async with bus.sessions() as s, s.begin():
        again = await sanctions.issue_late_filing_stp(s, npwp=filer.npwp, obligation=Obligation.SPT_MASA_PPN,
                                                      period="2026-02", spt_id=uuid.UUID(body["spt_id"]),
                                                      issued_on=date(2026, 4, 16))
    assert again is None
    assert len(await _stp_events(bus, filer.npwp)) == 1


async def test_an_expired_billing_code_sends_the_return_back_to_draft(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "2000000", "ppn": "220000"}))
    first = (await filer.submit()).json()
    (_, _, request), = await events(bus, "SPTPaymentRequested", first["spt_id"])
    requested_at = datetime.fromisoformat(first["payments"][0]["requested_at"])
    expired = envelope(billing_expired(request, expired_at=requested_at + timedelta(microseconds=1)),
                       key=filer.npwp)
    handlers = payment_handlers(FixedClock(TODAY))
    await bus.send(handlers, "payment-events", [expired])
    draft = (await filer.draft())["open_return"]
    assert (draft["id"], draft["status"], draft["revision"]) == (first["spt_id"], "draft", first["revision"] + 1)
    assert problem(await filer.submission()) == (404, "submission.not_found")

    # reviewed and submitted again: a new request; the old expiry, republished, no longer applies
    put = await signing_api.put(f"{PATH}/2026-03/draft", json={"other_input_ppn": "20000"}, headers=auth(filer.npwp))
    assert put.status_code == 200, put.text
    second = (await filer.submit()).json()
    assert (second["spt_id"], second["status"], second["amount_payable"]) == (
        first["spt_id"], "awaiting_payment", "200000")
    assert second["content_digest"] != first["content_digest"]
    assert [d["amount"] for _, _, d in await events(bus, "SPTPaymentRequested", first["spt_id"])] == [
        "220000", "200000"]
    stale = envelope(billing_expired(request, expired_at=requested_at + timedelta(microseconds=1)), key=filer.npwp)
    await bus.send(handlers, "payment-events", [stale])
    assert (await filer.submission()).json() == second


async def test_a_payment_made_before_the_return_went_back_to_draft_counts_when_it_is_submitted_again(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "1000000", "ppn": "110000", "ppnbm": "100000"}))
    first = (await filer.submit()).json()
    ppn, ppnbm = sorted((d for _, _, d in await events(bus, "SPTPaymentRequested", first["spt_id"])),
                        key=lambda r: r["kap_kjs"])
    requested_at = datetime.fromisoformat(first["payments"][0]["requested_at"])
    handlers = payment_handlers(FixedClock(TODAY))
    ppnbm_paid = datetime(2026, 4, 15, 23, 0, tzinfo=JAKARTA)
    await bus.send(handlers, "payment-events", [
        envelope(payment_confirmed(ppnbm, paid_at=ppnbm_paid), key=filer.npwp),
        envelope(billing_expired(ppn, expired_at=requested_at + timedelta(microseconds=1)), key=filer.npwp)])
    assert (await filer.draft())["open_return"]["status"] == "draft"

    # an invoice more: the PPnBM owed is no longer what was paid for this version
    extra = signed(filer.npwp, buyer=random_npwp(), period="2026-03", dpp="1000000", ppn="110000", ppnbm="50000")
    await bus.send(invoice_handlers(), "invoice-events", [keyed(extra)])
    refused = await filer.submit()
    assert problem(refused) == (409, "return.paid_amount_differs")
    assert (refused.json()["details"]["paid"], refused.json()["details"]["owed"]) == ("100000", "150000")
    assert (await filer.draft())["open_return"]["status"] == "draft"
    assert len(await events(bus, "SPTPaymentRequested", first["spt_id"])) == 2

    # the invoice cancelled: submitted again, only the PPN is asked again; its payment files the return
    await bus.send(invoice_handlers(), "invoice-events", [keyed(cancelled(extra))])
    again = (await filer.submit()).json()
    assert [(p["kap_kjs"], p["status"]) for p in again["payments"]] == [("411211-100", "requested"),
                                                                         ("411221-100", "paid")]
    requests = [d for _, _, d in await events(bus, "SPTPaymentRequested", first["spt_id"])]
    assert [r["kap_kjs"] for r in requests] == ["411211-100", "411221-100", "411211-100"]
    await bus.send(handlers, "payment-events", [envelope(payment_confirmed(
        requests[-1], paid_at=datetime(2026, 4, 16, 9, 0, tzinfo=JAKARTA)), key=filer.npwp)])
    filed = (await filer.submission()).json()
    assert (filed["status"], filed["receipt"]["payment_date"], filed["receipt"]["late"]) == (
        "filed", "2026-04-16", False)
    assert len(await events(bus, "SPTSubmitted", first["spt_id"])) == 1


async def test_a_wrong_passphrase_leaves_the_return_unsigned_and_nothing_changes(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    filer = Filer(signing_api, identity, await pkp(bus, {"dpp": "2000000", "ppn": "220000"}))
    refused = await filer.submit(passphrase="Salah#Sandi99")
    assert problem(refused) == (422, "return.unsigned")
    details = refused.json()["details"]
    assert (details["reasons"], details["signer_code"], details["path"], details["attempts_remaining"]) == (
        ["return.unsigned"], "credential.passphrase_wrong", "/passphrase", 4)
    assert "Salah#Sandi99" not in refused.text
    assert (await filer.draft())["open_return"] is None  # not even a draft was started
    assert problem(await filer.submission()) == (404, "submission.not_found")
    async with bus.sessions() as s:
        assert [k for k, _ in await outbox_npwp(s, filer.npwp)] == []
    # another person's credential is not this signer's
    stranger = identity.credential(str(uuid.uuid4()))
    refused = await signing_api.post(f"{PATH}/2026-03/submission", headers=auth(filer.npwp), json={
        "credential_id": stranger.id, "passphrase": stranger.passphrase})
    assert problem(refused) == (422, "return.unsigned")
    assert (refused.json()["details"]["signer_code"], refused.json()["details"]["path"]) == (
        "credential.not_found", "/credential_id")
    assert (await filer.submit()).json()["status"] == "awaiting_payment"  # the right passphrase signs


async def outbox_npwp(session: Any, npwp: str) -> list[tuple[str, str]]:
    rows = await session.execute(text("SELECT event_type, key FROM outbox WHERE key = :k"), {"k": npwp})
    return [(t, k) for t, k in rows]


async def test_refusals_before_signing_have_their_codes_and_change_nothing(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus, settings: FilingSettings) -> None:
    taxpayer = registered()
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(taxpayer, (True, date(2026, 3, 1))))
    filer = Filer(signing_api, identity, taxpayer.npwp)
    calls = identity.signing_calls
    assert problem(await filer.submit("2026-02")) == (409, "return.not_owed")  # PKP from March
    unknown = Filer(signing_api, identity, random_npwp())
    assert problem(await unknown.submit()) == (404, "taxpayer.not_found")
    assert problem(await filer.submit(headers=auth(taxpayer.npwp, scopes=["filing:read", "filing:draft"]))) == (
        403, "auth.missing_scope")
    assert problem(await filer.submit("2026-12")) == (422, "calendar.year_unknown")  # due 31 Jan 2027: no list
    assert problem(await filer.submit("2026-3")) == (422, "period.invalid")
    bad = await signing_api.post(f"{PATH}/2026-03/submission", headers=auth(taxpayer.npwp),
                                 json={"credential_id": filer.credential.id})
    assert problem(bad) == (422, "request.invalid")  # no passphrase

    # an audit of the period started: considered not filed (UU KUP Art 3(7)(d))
    async with bus.engine.begin() as conn:
        await conn.execute(insert(audit).values(
            id=uuid.uuid4(), npwp=taxpayer.npwp, period="2026-03", form=None, audit_type="field",
            started_at=datetime(2026, 4, 10, 9, 0, tzinfo=UTC), officer_account_id="officer-1"))
    refused = await filer.submit()
    assert problem(refused) == (409, "return.audit_started")
    assert refused.json()["details"]["reasons"] == ["return.audit_started"]
    assert identity.signing_calls == calls  # nothing above reached identity
    assert (await filer.draft())["open_return"] is None
    async with bus.sessions() as s:
        assert await outbox_npwp(s, taxpayer.npwp) == []

    # identity unreachable: 503, nothing filed
    dead = settings.model_copy(update={"identity": IdentityClientSettings(
        base_url=f"http://127.0.0.1:{free_port()}", client_id="x", attempts=1)})
    app = create_app(dead, jwks=JWKSCache(dead.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(app) as offline:
        other = Filer(offline, identity, await pkp(bus))
        assert problem(await other.submit()) == (503, "signature.identity_unavailable")
        assert (await other.draft())["open_return"] is None


@pytest.mark.parametrize("scopes", [["filing:read"], ["filing:draft", "filing:submit"]])
async def test_reading_a_submission_needs_the_read_scope(signing_api: httpx.AsyncClient, scopes: list[str]) -> None:
    npwp = random_npwp()
    response = await signing_api.get(f"{PATH}/2026-03/submission", headers=auth(npwp, scopes=scopes))
    expected = (404, "submission.not_found") if "filing:read" in scopes else (403, "auth.missing_scope")
    assert problem(response) == expected
