"""The sanction run (UU KUP Art 7(1)): after a deadline, every owed return not filed by it gets one STP, published
as `STPIssued`; a rerun issues nothing; Art 7(2) cases the registry knows and extended returns are spared. Art 9(2a)
interest on a return's late payment and the Art 14(4) fine of a late faktur, each issued once through their
consumers (real broker). The API's day is 15 April 2026."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.calendar.periods import TaxPeriod
from filing.obligations.kinds import Obligation
from filing.sanctions import service
from filing.sanctions.handlers import invoice_sanction_handlers, payment_sanction_handlers
from filing.settings import FilingSettings
from filing.submissions.models import spt_payment
from kit.clock import FixedClock
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes
from services.filing.tests.conftest import MAKER, TODAY, Bus, auth
from services.filing.tests.factories import envelope, keyed, payment_confirmed, replacement, signed
from services.filing.tests.seed import add_taxpayer, at, extend, file_return

PKP_2025 = ((True, date(2025, 1, 1)),)
STP_DUE = "2026-05-18"  # 15 May 2026 + 1 month... rolled over cuti bersama (15 May) and the weekend


def officer(scopes: tuple[str, ...] = ("filing:officer",), kind: str = "officer") -> dict[str, str]:
    token = MAKER.make(subject="officer-console", scopes=scopes, client_kind=kind, client_id="officer-console")
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    e = create_engine(settings.database, application_name="test.sanctions", pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


async def stps(engine: AsyncEngine, *npwps: str) -> list[tuple[str, str, str | None, str, str, str, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT npwp, reason, form, period, kap_kjs, amount::text, due_date::text FROM stp "
            "WHERE npwp = ANY(:n) ORDER BY npwp, reason, period"), {"n": list(npwps)})
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def issued_events(engine: AsyncEngine, *npwps: str) -> list[tuple[str, dict[str, object]]]:
    sessions = create_sessionmaker(engine)
    async with sessions() as s:
        return [(k, e.data) for k, e, _ in await outbox_envelopes(s, event_type="STPIssued") if k in npwps]


async def test_a_run_fines_each_owed_return_not_filed_once(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    missing = await add_taxpayer(engine, pkp=PKP_2025)
    on_time = await add_taxpayer(engine, pkp=PKP_2025)
    late = await add_taxpayer(engine, pkp=PKP_2025)
    deceased = await add_taxpayer(engine, pkp=PKP_2025, status="deceased")
    pkp_later = await add_taxpayer(engine, pkp=((True, date(2026, 3, 1)),))
    revoked_mid_month = await add_taxpayer(engine, pkp=((True, date(2025, 1, 1)), (False, date(2026, 2, 15))))
    waiting = await add_taxpayer(engine, pkp=PKP_2025)  # submitted, awaiting payment: not filed
    # A PKP start in the month overridden on its own date (identity's later decision, restated there): never PKP.
    overridden = await add_taxpayer(engine, pkp=((False, date(2025, 1, 1)), (True, date(2026, 2, 10)),
                                                  (False, date(2026, 2, 10))))
    await file_return(engine, on_time, "spt_masa_ppn", "2026-02", at(date(2026, 3, 31), hour=16))  # 23:00 WIB
    late_spt = await file_return(engine, late, "spt_masa_ppn", "2026-02", at(date(2026, 4, 2)))
    await file_return(engine, waiting, "spt_masa_ppn", "2026-02", at(date(2026, 3, 20)), status="awaiting_payment")
    everyone = [missing, on_time, late, deceased, pkp_later, revoked_mid_month, waiting, overridden]

    response = await api.post("/internal/v1/sanction-runs", headers=officer(),
                              json={"obligation": "spt_masa_ppn", "period": "2026-02", "npwps": everyone})
    assert response.status_code == 201, response.text
    run = response.json()
    assert (run["due_date"], run["run_on"], run["stp_due_date"], run["issued"], run["not_filed"],
            run["late_filing"]) == ("2026-03-31", "2026-04-15", STP_DUE, 4, 3, 1)
    fine = ("spt_masa_ppn", "2026-02", "411211-300", "500000.00", STP_DUE)
    assert await stps(engine, *everyone) == sorted([
        (missing, "not_filed", *fine), (late, "late_filing", *fine), (revoked_mid_month, "not_filed", *fine),
        (waiting, "not_filed", *fine)])
    events = await issued_events(engine, *everyone)
    assert sorted((k, e["reason"], e["amount"], e["kap_kjs"], e["basis"], e["due_date"]) for k, e in events) == sorted(
        (n, r, "500000", "411211-300", "UU KUP Art 7(1)", STP_DUE)
        for n, r in [(missing, "not_filed"), (late, "late_filing"), (revoked_mid_month, "not_filed"),
                     (waiting, "not_filed")])
    assert next(e for k, e in events if k == late)["spt_id"] == str(late_spt)

    again = await api.post("/internal/v1/sanction-runs", headers=officer(),
                           json={"obligation": "spt_masa_ppn", "period": "2026-02", "npwps": everyone})
    assert (again.status_code, again.json()["issued"]) == (201, 0)
    assert len(await issued_events(engine, *everyone)) == 4


async def test_annual_run_spares_extended_returns_and_waits_for_the_deadline(api: httpx.AsyncClient,
                                                                             engine: AsyncEngine) -> None:
    person = await add_taxpayer(engine, kind="individual", registered=date(2024, 5, 1), name="Ani")
    extended = await add_taxpayer(engine, kind="individual", registered=date(2024, 5, 1), name="Budi")
    newcomer = await add_taxpayer(engine, kind="individual", registered=date(2026, 1, 5), name="Citra")
    company = await add_taxpayer(engine, kind="company")
    await extend(engine, extended, "spt_tahunan_op", "2025", due=date(2026, 6, 2))
    body = {"obligation": "spt_tahunan_op", "period": "2025", "npwps": [person, extended, newcomer, company]}
    response = await api.post("/internal/v1/sanction-runs", headers=officer(), json=body)
    assert (response.status_code, response.json()["issued"]) == (201, 1), response.text
    assert await stps(engine, person, extended, newcomer, company) == [
        (person, "not_filed", "spt_tahunan_op", "2025", "411125-300", "100000.00", STP_DUE)]

    early = await api.post("/internal/v1/sanction-runs", headers=officer(),
                           json={"obligation": "spt_tahunan_badan", "period": "2025", "npwps": [company]})
    assert (early.status_code, early.json()["code"], early.json()["details"]["due_date"]) == (
        409, "sanctions.deadline_not_passed", "2026-04-30")


async def test_the_run_is_for_officers_and_known_obligations(api: httpx.AsyncClient) -> None:
    body = {"obligation": "spt_masa_ppn", "period": "2026-02", "npwps": []}
    npwp = "1" * 16
    for headers, expected in [({}, (401, "unauthorized")),
                              (auth(npwp), (403, "auth.officer_required")),
                              (officer(kind="pjap"), (403, "auth.officer_required")),
                              (officer(scopes=("filing:read",)), (403, "auth.missing_scope"))]:
        response = await api.post("/internal/v1/sanction-runs", headers=headers, json=body)
        assert (response.status_code, response.json()["code"]) == expected
    response = await api.post("/internal/v1/sanction-runs", headers=officer(),
                              json={**body, "obligation": "spt_masa_pph"})
    assert (response.status_code, response.json()["code"]) == (422, "sanctions.run_obligation_unsupported")
    response = await api.post("/internal/v1/sanction-runs", headers=officer(), json={**body, "period": "2026-13"})
    assert (response.status_code, response.json()["code"]) == (422, "period.invalid")


async def test_a_full_run_over_every_taxpayer_reruns_to_nothing(engine: AsyncEngine) -> None:
    """Without a list: every taxpayer of the database. In a transaction rolled back at the end, so the other tests'
    taxpayers keep no fine."""
    missing = await add_taxpayer(engine, pkp=PKP_2025)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        first = await service.run_return_fines(session, obligation=Obligation.SPT_MASA_PPN,
                                               period=TaxPeriod(2026, 1), today=TODAY, trigger="schedule")
        mine = (await session.execute(text("SELECT reason FROM stp WHERE npwp = :n AND period = '2026-01'"),
                                      {"n": missing})).scalars().all()
        second = await service.run_return_fines(session, obligation=Obligation.SPT_MASA_PPN,
                                                period=TaxPeriod(2026, 1), today=TODAY, trigger="schedule")
        outbox = (await session.execute(text("SELECT count(*) FROM outbox WHERE event_type = 'STPIssued' AND "
                                             "aggregate_id = ANY(SELECT id::text FROM stp WHERE run_id = :r)"),
                                        {"r": first.run_id})).scalar_one()
        await session.rollback()
    assert first.issued >= 1 and mine == ["not_filed"]
    assert second.issued == 0 and outbox == first.issued


async def test_late_payment_interest_worked_example(engine: AsyncEngine) -> None:
    """tax-rules.md §6.2: PPh 21 for Aug 2025, Rp10,000,000 due 15 Sep 2025, paid 20 Oct 2025 -> Rp190,000."""
    npwp, spt_id = "3" + uuid.uuid4().hex[:0] + str(uuid.uuid4().int)[:15], uuid.uuid4()
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        stp = await service.issue_late_payment_stp(
            session, npwp=npwp, form="spt_masa_pph", period="2025-08", spt_id=spt_id, kap="411121",
            principal=Decimal(10_000_000), due=date(2025, 9, 15), paid_on=date(2025, 10, 20), issued_on=TODAY)
        again = await service.issue_late_payment_stp(
            session, npwp=npwp, form="spt_masa_pph", period="2025-08", spt_id=spt_id, kap="411121",
            principal=Decimal(10_000_000), due=date(2025, 9, 15), paid_on=date(2025, 10, 20), issued_on=TODAY)
        on_time = await service.issue_late_payment_stp(
            session, npwp=npwp, form="spt_masa_pph", period="2025-09", spt_id=uuid.uuid4(), kap="411121",
            principal=Decimal(10_000_000), due=date(2025, 10, 15), paid_on=date(2025, 10, 15), issued_on=TODAY)
    assert stp is not None and again is None and on_time is None
    assert (stp.reason, stp.basis, stp.kap_kjs, stp.amount, stp.principal, stp.interest_months,
            stp.monthly_rate_percent, str(stp.due_date)) == (
        "late_payment", "UU KUP Art 9(2a)", "411121-300", Decimal(190_000), Decimal(10_000_000), 2, Decimal("0.95"),
        STP_DUE)
    [(key, event)] = await issued_events(engine, npwp)
    assert (key, event["amount"], event["principal"], event["interest_months"], event["monthly_rate_percent"]) == (
        npwp, "190000", "10000000", 2, "0.95")


@pytest.mark.parametrize("version", [0, 1], ids=["normal", "pembetulan"])
async def test_a_late_payment_through_the_consumer_is_charged_once(bus: Bus, engine: AsyncEngine,
                                                                   version: int) -> None:
    """A kurang bayar SPT Masa PPN for Aug 2025 (payment due 30 Sep 2025) paid 20 Oct 2025: 1 month at the
    September 2025 rate (0.95%) on Rp2,000,000 = Rp19,000, once even when the confirmation comes again. A
    pembetulan's raise paid late bears Art 8(2a) interest (issued with the correction) and no Art 9(2a) STP."""
    npwp = await add_taxpayer(engine, pkp=PKP_2025)
    spt_id = await file_return(engine, npwp, "spt_masa_ppn", "2025-08", at(date(2025, 10, 1)),
                               status="awaiting_payment", version=version)
    async with engine.begin() as conn:
        await conn.execute(spt_payment.insert().values(
            spt_id=spt_id, kap_kjs="411211-100", amount=Decimal(2_000_000), status="requested",
            payment_due_date=date(2025, 9, 30), requested_at=datetime(2025, 10, 1, tzinfo=UTC)))
    request = {"npwp": npwp, "kap_kjs": "411211-100", "period": "2025-08", "amount": "2000000",
               "spt_id": str(spt_id)}
    paid = payment_confirmed(request, paid_at=datetime(2025, 10, 20, 2, tzinfo=UTC))
    first = envelope(paid, key=npwp)
    await bus.send(payment_sanction_handlers(FixedClock(TODAY)), "payment-sanctions",
                   [first, first, envelope(paid, key=npwp)])  # redelivered, then republished under a new id
    expected = [(npwp, "late_payment", "spt_masa_ppn", "2025-08", "411211-300", "19000.00", STP_DUE)]
    assert await stps(engine, npwp) == (expected if version == 0 else [])
    assert len(await issued_events(engine, npwp)) == (1 if version == 0 else 0)


async def test_a_late_faktur_bears_one_percent_of_its_dpp_once(bus: Bus, engine: AsyncEngine) -> None:
    """A faktur invoice signed late (its `late` flag: invoice's rule, the 20th of the next month) bears the fine once;
    one signed in time, and a faktur pengganti signed late (it replaces one already made), bear none."""
    seller = "4" + str(uuid.uuid4().int)[:15]
    late = signed(seller, period="2026-02", dpp="12345678", ppn="1358025").model_copy(
        update={"signed_at": datetime(2026, 3, 23, 2, tzinfo=UTC), "late": True})
    on_time = signed(seller, period="2026-02", dpp="5000000", ppn="550000").model_copy(
        update={"signed_at": datetime(2026, 3, 20, 16, tzinfo=UTC)})
    pengganti = replacement(late, dpp="12000000", ppn="1320000").model_copy(
        update={"signed_at": datetime(2026, 3, 25, 2, tzinfo=UTC), "late": True})
    first = keyed(late)
    await bus.send(invoice_sanction_handlers(FixedClock(TODAY)), "invoice-sanctions",
                   [first, keyed(on_time), first, keyed(pengganti), keyed(late)])
    assert await stps(engine, seller) == [
        (seller, "late_faktur", None, "2026-02", "411211-300", "123457.00", STP_DUE)]
    [(_, event)] = await issued_events(engine, seller)
    assert (event["invoice_id"], event["basis"], event["amount"], event["principal"]) == (
        late.invoice_id, "UU KUP Art 14(4)", "123457", "12345678")
