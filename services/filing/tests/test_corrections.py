"""Pembetulan (UU KUP Art 8) of the SPT Masa PPN on the real PostgreSQL and broker, through the same submission path
as the Normal: a correction that raises the tax pays the raise (Bayar dan Lapor) and, once paid, bears the
Art 8(2a) interest as an STP; one that lowers it files at once and is flagged for Art 8(1a); every version stays
readable; an audit of the period stops corrections. The API's clock is 15 April 2026; the period is September 2025
(its PPN due 31 October 2025, whose tier-2 rate, 0.95%, the KMK table has)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import insert

from filing.assessments.models import audit
from filing.registry.handlers import identity_handlers
from filing.returns.handlers import invoice_handlers
from filing.submissions.handlers import payment_handlers
from kit.clock import JAKARTA, FixedClock
from kit.testing.events import random_npwp
from services.filing.tests.conftest import Bus, auth
from services.filing.tests.factories import envelope, identity_envelopes, keyed, payment_confirmed, registered, signed
from services.filing.tests.identity_standin import StandIn
from services.filing.tests.test_submission import Filer, events, problem

PATH = "/v1/returns/spt-masa-ppn"
SEPT = "2025-09"


async def test_a_pembetulan_pays_its_raise_bears_interest_and_every_version_is_kept(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    taxpayer = registered()
    npwp = taxpayer.npwp
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(taxpayer, (True, date(2025, 1, 1))))
    await bus.send(invoice_handlers(), "invoice-events", [keyed(signed(
        npwp, buyer=random_npwp(), period=SEPT, dpp="10000000", ppn="1100000"))])
    filer = Filer(signing_api, identity, npwp)
    headers = auth(npwp)

    # nothing to correct yet
    assert problem(await filer.submit(SEPT, kind="pembetulan")) == (409, "correction.no_normal")

    # the Normal: the PPN is offset by a compensation -> nihil, filed (late: it bears its Art 7(1) STP)
    await signing_api.put(f"{PATH}/{SEPT}/draft", json={"compensation": "1100000"}, headers=headers)
    normal = (await filer.submit(SEPT)).json()
    assert (normal["spt_version"], normal["status"], normal["outcome"], [s["reason"] for s in normal["stps"]]) == (
        0, "filed", "nihil", ["late_filing"])

    # Pembetulan ke-1: the compensation was wrong -> kurang bayar 1,100,000, all of it a raise
    draft = (await signing_api.put(f"{PATH}/{SEPT}/draft", json={"compensation": "0"}, headers=headers)).json()
    assert (draft["open_return"]["version"], draft["open_return"]["version_label"]) == (1, "Pembetulan ke-1")
    first = (await filer.submit(SEPT)).json()
    assert (first["spt_version"], first["status"], first["previous_spt_id"], first["tax_raise"]) == (
        1, "awaiting_payment", normal["spt_id"], "1100000")
    assert [(p["kap_kjs"], p["amount"], p["payment_due_date"]) for p in first["payments"]] == [
        ("411211-100", "1100000", "2025-10-31")]
    (_, _, request), = await events(bus, "SPTPaymentRequested", first["spt_id"])
    assert (request["spt_version"], request["amount"]) == (1, "1100000")

    paid_at = datetime(2026, 4, 15, 10, 0, tzinfo=JAKARTA)
    await bus.send(payment_handlers(FixedClock(date(2026, 4, 15))), "payment-events",
                   [envelope(payment_confirmed(request, paid_at=paid_at), key=npwp)])
    filed = (await filer.submission(SEPT)).json()
    assert (filed["spt_id"], filed["status"], filed["receipt"]["late"]) == (first["spt_id"], "filed", False)
    # Art 8(2a): 1,100,000 x 0.95% (Oct 2025, tier 2) x 6 months (31 Oct 2025 -> 15 Apr 2026) = 62,700
    (stp,) = filed["stps"]
    assert (stp["reason"], stp["kap_kjs"], stp["amount"], stp["basis"]) == (
        "correction_interest", "411211-300", "62700", "UU KUP Art 8(2)/(2a)")
    assert await events(bus, "SPTSubmitted", first["spt_id"]) == []
    (key, sequence, corrected), = await events(bus, "SPTCorrected", first["spt_id"])
    assert (key, sequence) == (npwp, filed["revision"])
    assert (corrected["previous_spt_id"], corrected["previous_spt_version"], corrected["tax_raise"],
            corrected["shows_overpayment_or_loss"], corrected["ntpn"], corrected["receipt_number"]) == (
        normal["spt_id"], 0, "1100000", False, filed["receipt"]["ntpn"], filed["receipt"]["number"])
    (_, _, issued), = await events(bus, "STPIssued", stp["id"])
    assert (issued["reason"], issued["principal"], issued["interest_months"], issued["monthly_rate_percent"],
            issued["spt_id"]) == ("correction_interest", "1100000", 6, "0.95", first["spt_id"])

    # Pembetulan ke-2 lowers the tax (kurang bayar 500,000 < 1,100,000): nothing to pay, filed at once, held to
    # Art 8(1a), no interest
    await signing_api.put(f"{PATH}/{SEPT}/draft", json={"compensation": "600000"}, headers=headers)
    second = (await filer.submit(SEPT)).json()
    assert (second["spt_version"], second["status"], second["tax_raise"], second["shows_overpayment_or_loss"],
            second["payments"], second["stps"]) == (2, "filed", "0", True, [], [])
    (_, _, corrected), = await events(bus, "SPTCorrected", second["spt_id"])
    assert (corrected["previous_spt_id"], corrected["tax_raise"], corrected["amount_payable"]) == (
        first["spt_id"], "0", "500000")

    # the history: every version, oldest first, with its figures as signed, digest, receipt and STPs
    history = (await signing_api.get(f"{PATH}/{SEPT}/versions", headers=headers)).json()
    assert [(v["version"], v["version_label"], v["status"], v["figures"]["compensation"], v["amount_payable"],
             v["content_digest"], v["receipt"]["number"], [s["reason"] for s in v["stps"]])
            for v in history["versions"]] == [
        (0, "Normal", "filed", "1100000", "0", normal["content_digest"], normal["receipt"]["number"],
         ["late_filing"]),
        (1, "Pembetulan ke-1", "filed", "0", "1100000", filed["content_digest"], filed["receipt"]["number"],
         ["correction_interest"]),
        (2, "Pembetulan ke-2", "filed", "600000", "500000", second["content_digest"], second["receipt"]["number"],
         [])]
    assert (await signing_api.get(f"{PATH}/{SEPT}/versions", headers=auth(random_npwp()))).json()["versions"] == []

    # an audit of the period starts: no further pembetulan, neither drafted nor submitted (UU KUP Art 8(1))
    async with bus.engine.begin() as conn:
        await conn.execute(insert(audit).values(
            id=uuid.uuid4(), npwp=npwp, period=SEPT, form="spt_masa_ppn", audit_type="office",
            started_at=datetime(2026, 4, 14, 2, 0, tzinfo=UTC), officer_account_id="officer-1"))
    calls = identity.signing_calls
    refused = await signing_api.put(f"{PATH}/{SEPT}/draft", json={"compensation": "0"}, headers=headers)
    assert problem(refused) == (409, "correction.under_audit")
    assert refused.json()["details"]["audit_started_on"] == "2026-04-14"
    assert problem(await filer.submit(SEPT)) == (409, "correction.under_audit")
    assert problem(await filer.submit(SEPT, kind="normal")) == (409, "return.normal_exists")
    assert identity.signing_calls == calls
    assert len((await signing_api.get(f"{PATH}/{SEPT}/versions", headers=headers)).json()["versions"]) == 3
