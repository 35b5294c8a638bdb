"""Reference data officers publish (filing.reference) on the real PostgreSQL and broker: a year's days off and a
month's KMK rates, used by every due date and interest at once, in this process and (after a refresh) in another.

Every list and rate here is synthetic test data, not a decree: the days off of 2027 and 2031, and the rates of May
2031, are made up so that the tests never depend on what the SKB or the KMK will say. Each test removes what it
published, and this process reads the database again, so that later tests see the packaged data alone."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.filing import REFERENCE_KEY
from devstack.processes import free_port, spawn, stop, wait_for_port
from filing.main import create_app
from filing.reference.service import refresh
from filing.sanctions.errors import InterestRateUnknown
from filing.sanctions.handlers import payment_sanction_handlers
from filing.sanctions.interest import late_payment_interest
from filing.settings import FilingSettings
from filing.submissions.models import spt_payment
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes
from kit.testing.service import api_client
from services.filing.tests.conftest import MAKER, Bus
from services.filing.tests.factories import envelope, payment_confirmed
from services.filing.tests.seed import add_taxpayer, at, file_return

TODAY = date(2026, 12, 6)
PKP_2025 = ((True, date(2025, 1, 1)),)
YEARS, MONTHS = [2027, 2031], ["2031-05", "2026-02"]
SYNTHETIC_2027: dict[str, Any] = {
    "basis": {"number": "TEST ONLY - synthetic, not the SKB of 2027", "signed_on": "2026-09-30"},
    "days": [{"date": "2027-01-06", "kind": "cuti_bersama", "name": "Synthetic test day off"},
             {"date": "2027-01-01", "kind": "national_holiday", "name": "Synthetic test holiday"}]}
SYNTHETIC_2031: dict[str, Any] = {
    "basis": {"number": "TEST ONLY - synthetic SKB 2031", "signed_on": "2030-09-30"},
    "days": [{"date": "2031-07-25", "kind": "cuti_bersama", "name": "Synthetic test day off"}]}
SYNTHETIC_MAY_2031: dict[str, Any] = {
    "kmk": {"number": "TEST ONLY - synthetic KMK", "signed_on": "2031-04-30"},
    "rates": {"tier_1": "0.11", "tier_2": "0.22", "tier_3": "0.33", "tier_4": "0.44", "tier_5": "0.55",
              "imbalan_bunga": "0.11"}}


def reference_officer(scopes: tuple[str, ...] = ("filing:reference",), kind: str = "officer") -> dict[str, str]:
    token = MAKER.make(subject="reference-console", scopes=scopes, client_kind=kind, client_id="reference-console",
                       officer_account_id="officer-7")
    return {"authorization": f"Bearer {token}"}


def sanctions_officer() -> dict[str, str]:
    token = MAKER.make(subject="officer-console", scopes=["filing:officer"], client_kind="officer",
                       client_id="officer-console")
    return {"authorization": f"Bearer {token}"}


def problem(response: httpx.Response) -> tuple[int, str, Any]:
    body = response.json()
    return response.status_code, body.get("code"), body.get("details", {}).get("path")


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    """The test's own connection to filing's database; on the way out the test's publications are removed and this
    process reads what remains (the packaged data alone)."""
    e = create_engine(settings.database, application_name="test.reference", pool_size=2)
    try:
        yield e
    finally:
        async with e.begin() as conn:
            await conn.execute(text("DELETE FROM calendar_publication WHERE year = ANY(:y)"), {"y": YEARS})
            await conn.execute(text("DELETE FROM interest_rate_publication WHERE month = ANY(:m)"), {"m": MONTHS})
        await refresh(UnitOfWork(create_sessionmaker(e)))
        await e.dispose()


def app_on(settings: FilingSettings, today: date) -> Any:
    return create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(today))


@pytest.fixture
async def api(settings: FilingSettings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app_on(settings, TODAY)) as client:
        yield client


async def published_events(engine: AsyncEngine, event_type: str, subject: str) -> list[tuple[str, int, Any]]:
    async with create_sessionmaker(engine)() as session:
        return [(key, env.sequence, event) for key, env, event in
                await outbox_envelopes(session, event_type=event_type, subjects=[subject])]


async def test_a_published_2027_calendar_gives_an_stp_issued_today_its_due_date(api: httpx.AsyncClient,
                                                                                 engine: AsyncEngine) -> None:
    """Today (6 December 2026) an STP falls due a month later, in 2027: refused until the days off of 2027 are
    published, then due on the next working day after 6 January (a synthetic cuti bersama): 7 January 2027."""
    npwp = await add_taxpayer(engine, pkp=PKP_2025)
    run = {"obligation": "spt_masa_ppn", "period": "2026-10", "npwps": [npwp]}
    refused = await api.post("/internal/v1/sanction-runs", headers=sanctions_officer(), json=run)
    assert (refused.status_code, refused.json()["code"], refused.json()["details"]["year"]) == (
        422, "calendar.year_unknown", 2027)

    published = await api.put("/internal/v1/calendar/2027", headers=reference_officer(), json=SYNTHETIC_2027)
    assert published.status_code == 201, published.text
    body = published.json()
    assert (body["year"], body["revision"], body["outcome"], body["basis"], body["published_by"]) == (
        2027, 1, "published", SYNTHETIC_2027["basis"], "officer-7")
    assert [d["date"] for d in body["days"]] == ["2027-01-01", "2027-01-06"]  # in date order

    issued = await api.post("/internal/v1/sanction-runs", headers=sanctions_officer(), json=run)
    assert issued.status_code == 201, issued.text
    assert (issued.json()["run_on"], issued.json()["stp_due_date"], issued.json()["issued"]) == (
        "2026-12-06", "2027-01-07", 1)
    async with engine.connect() as conn:
        due = (await conn.execute(text("SELECT due_date FROM stp WHERE npwp = :n"), {"n": npwp})).scalar_one()
    assert due == date(2027, 1, 7)
    public = (await api.get("/v1/working-calendar/2027")).json()
    assert [(d["date"], d["kind"]) for d in public["days_off"]] == [
        ("2027-01-01", "national_holiday"), ("2027-01-06", "cuti_bersama")]

    # the same list again changes nothing: no row, no event
    again = await api.put("/internal/v1/calendar/2027", headers=reference_officer(), json=SYNTHETIC_2027)
    assert (again.status_code, again.json()["revision"], again.json()["outcome"]) == (200, 1, "unchanged")
    # an amendment (the cuti bersama withdrawn) is a new revision, the first one kept
    amended = {"basis": {"number": "TEST ONLY - synthetic amendment", "signed_on": "2026-11-30"},
               "days": SYNTHETIC_2027["days"][1:]}
    revised = await api.put("/internal/v1/calendar/2027", headers=reference_officer(), json=amended)
    assert (revised.status_code, revised.json()["revision"], revised.json()["outcome"]) == (200, 2, "revised")
    assert [d["date"] for d in (await api.get("/v1/working-calendar/2027")).json()["days_off"]] == ["2027-01-01"]
    async with engine.connect() as conn:
        kept = (await conn.execute(text("SELECT revision, basis_number FROM calendar_publication WHERE year = 2027 "
                                        "ORDER BY revision"))).all()
    assert [tuple(r) for r in kept] == [(1, SYNTHETIC_2027["basis"]["number"]), (2, amended["basis"]["number"])]

    events = await published_events(engine, "WorkingCalendarPublished", "2027")
    assert [(key, sequence, e.year, e.revision, [d.date for d in e.days], e.basis_number)
            for key, sequence, e in events] == [
        (REFERENCE_KEY, 1, 2027, 1, [date(2027, 1, 1), date(2027, 1, 6)], SYNTHETIC_2027["basis"]["number"]),
        (REFERENCE_KEY, 2, 2027, 2, [date(2027, 1, 1)], amended["basis"]["number"])]


async def test_a_published_rate_makes_art_9_2a_interest_computable(settings: FilingSettings, engine: AsyncEngine,
                                                                  bus: Bus) -> None:
    """In June 2031 (a synthetic future: every list and rate of it is made up), a return's payment due 15 May 2031
    and paid 20 June 2031 bears Art 9(2a) interest at the tier 2 rate of May 2031, 2 months, once published."""
    today = date(2031, 6, 25)
    with pytest.raises(InterestRateUnknown):
        late_payment_interest(Decimal(2_000_000), due=date(2031, 5, 15), paid_on=date(2031, 6, 20))
    async with api_client(app_on(settings, today)) as api:
        for path, body in [("/internal/v1/calendar/2031", SYNTHETIC_2031),
                           ("/internal/v1/interest-rates/2031-05", SYNTHETIC_MAY_2031)]:
            response = await api.put(path, headers=reference_officer(), json=body)
            assert (response.status_code, response.json()["outcome"]) == (201, "published"), response.text
        again = await api.put("/internal/v1/interest-rates/2031-05", headers=reference_officer(),
                              json=SYNTHETIC_MAY_2031)
        assert (again.status_code, again.json()["outcome"], again.json()["rates"]["tier_2"]) == (
            200, "unchanged", "0.22")
        # a KMK is not amended: other rates for the month are refused, nothing written
        other = {**SYNTHETIC_MAY_2031, "rates": {**SYNTHETIC_MAY_2031["rates"], "tier_2": "0.23"}}
        conflict = await api.put("/internal/v1/interest-rates/2031-05", headers=reference_officer(), json=other)
        assert (conflict.status_code, conflict.json()["code"], conflict.json()["details"]["differs"],
                conflict.json()["details"]["known"]) == (409, "reference.interest_rates_differ", ["tier_2"],
                                                         "published")

    assert late_payment_interest(Decimal(2_000_000), due=date(2031, 5, 15),
                                 paid_on=date(2031, 6, 20)).amount == Decimal(8_800)  # 2,000,000 x 0.22% x 2
    npwp = await add_taxpayer(engine, pkp=PKP_2025)
    spt_id = await file_return(engine, npwp, "spt_masa_ppn", "2031-04", at(date(2031, 5, 10)),
                               status="awaiting_payment")
    async with engine.begin() as conn:
        await conn.execute(spt_payment.insert().values(
            spt_id=spt_id, kap_kjs="411211-100", amount=Decimal(2_000_000), status="requested",
            payment_due_date=date(2031, 5, 15), requested_at=datetime(2031, 5, 10, tzinfo=UTC)))
    paid = payment_confirmed({"npwp": npwp, "kap_kjs": "411211-100", "period": "2031-04", "amount": "2000000",
                              "spt_id": str(spt_id)}, paid_at=datetime(2031, 6, 20, 2, tzinfo=UTC))
    await bus.send(payment_sanction_handlers(FixedClock(today)), "payment-sanctions", [envelope(paid, key=npwp)])
    async with engine.connect() as conn:
        stp = (await conn.execute(text(
            "SELECT reason, basis, principal, interest_months, monthly_rate_percent, amount, issued_on, due_date "
            "FROM stp WHERE npwp = :n"), {"n": npwp})).one()
    # due a month after issue (25 July 2031, a synthetic cuti bersama, then the weekend): 28 July
    assert tuple(stp) == ("late_payment", "UU KUP Art 9(2a)", Decimal(2_000_000), 2, Decimal("0.22"),
                          Decimal(8_800), today, date(2031, 7, 28))
    events = await published_events(engine, "InterestRatesPublished", "2031-05")
    assert [(key, sequence, e.tier_2, e.imbalan_bunga, e.kmk_number) for key, sequence, e in events] == [
        (REFERENCE_KEY, 1, "0.22", "0.11", "TEST ONLY - synthetic KMK")]


async def test_another_process_on_the_same_database_uses_a_publication_after_its_refresh(
        api: httpx.AsyncClient, settings: FilingSettings, tmp_path: Any) -> None:
    """A second API process (another replica: its own memory), reading every 0.5 s, answers for 2027 once this one
    published it; until its next refresh it still answers `calendar.year_unknown` (the staleness window)."""
    port = free_port()
    env = {**os.environ, "FILING_DATABASE__DSN": settings.database.url,
           "FILING_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
           "FILING_KAFKA__ENABLE_IDEMPOTENCE": "false", "FILING_REFERENCE_REFRESH_S": "0.5"}
    replica = spawn([sys.executable, "-m", "uvicorn", "filing.main:app", "--host", "127.0.0.1", "--port", str(port)],
                    env=env, log_path=tmp_path / "replica.log")
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, timeout=60, proc=replica)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as other:
            before = await other.get("/v1/working-calendar/2027")
            assert (before.status_code, before.json()["code"]) == (422, "calendar.year_unknown")
            published = await api.put("/internal/v1/calendar/2027", headers=reference_officer(),
                                      json=SYNTHETIC_2027)
            assert published.status_code == 201, published.text
            assert (await api.get("/v1/working-calendar/2027")).status_code == 200  # this process: at once
            deadline = time.monotonic() + 30
            while (answer := await other.get("/v1/working-calendar/2027")).status_code != 200:
                assert time.monotonic() < deadline, (answer.text, (tmp_path / "replica.log").read_text()[-2000:])
                await asyncio.sleep(0.1)
            assert [d["date"] for d in answer.json()["days_off"]] == ["2027-01-01", "2027-01-06"]
    finally:
        await asyncio.to_thread(stop, replica)


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, (401, "unauthorized")),
    (reference_officer(("filing:officer",)), (403, "auth.missing_scope")),  # the sanctions officer's scope
    (reference_officer(kind="internal"), (403, "auth.officer_required")),  # a service's client
    ({"authorization": "Bearer " + MAKER.make(subject=str(uuid.uuid4()), scopes=["filing:reference"],
                                              taxpayer_ids=["0123456789012345"])}, (403, "auth.officer_required")),
])
async def test_only_an_officer_console_with_filing_reference_publishes(api: httpx.AsyncClient,
                                                                       headers: dict[str, str],
                                                                       expected: tuple[int, str]) -> None:
    for path, body in [("/internal/v1/calendar/2027", SYNTHETIC_2027),
                       ("/internal/v1/interest-rates/2026-02", {"kmk": {}, "rates": {}})]:  # refused before the body
        assert problem(await api.put(path, headers=headers, json=body))[:2] == expected


FEBRUARY_2026 = {"kmk": {"number": "2/MK/EF/2026", "signed_on": "2026-01-30"},
                 "rates": {"tier_1": "0.51", "tier_2": "0.92", "tier_3": "1.34", "tier_4": "1.76", "tier_5": "2.17",
                           "imbalan_bunga": "0.51"}}


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/internal/v1/calendar/2027", {**SYNTHETIC_2027, "days": [{**SYNTHETIC_2027["days"][0], "kind": "holiday"}]},
     (422, "reference.day_kind_unknown", "/days/0/kind")),
    ("/internal/v1/calendar/2027", {**SYNTHETIC_2027, "days": SYNTHETIC_2027["days"] * 2},
     (422, "reference.day_listed_twice", "/days/2/date")),
    ("/internal/v1/calendar/2028", SYNTHETIC_2027, (422, "reference.year_too_far", "/year")),
    ("/internal/v1/calendar/2027", {**SYNTHETIC_2027, "days": []}, (422, "reference.days_missing", "/days")),
    ("/internal/v1/interest-rates/2026-13", FEBRUARY_2026, (422, "period.invalid", None)),
    # well formed, but the packaged February 2026 says 1.34: a KMK is not amended
    ("/internal/v1/interest-rates/2026-02", {**FEBRUARY_2026, "rates": {**FEBRUARY_2026["rates"], "tier_3": "1.35"}},
     (409, "reference.interest_rates_differ", None)),
    ("/internal/v1/interest-rates/2026-02", {**FEBRUARY_2026, "rates": {**FEBRUARY_2026["rates"],
                                                                        "tier_3": "1.345"}},
     (422, "reference.rate_too_many_decimals", "/rates/tier_3")),
    ("/internal/v1/interest-rates/2026-02", {**FEBRUARY_2026, "rates": {**FEBRUARY_2026["rates"], "tier_1": 0.51}},
     (422, "request.invalid", None)),  # a JSON number would be a float: rates are strings
])
async def test_a_publication_is_checked_before_anything_is_written(api: httpx.AsyncClient, engine: AsyncEngine,
                                                                   path: str, body: dict[str, Any],
                                                                   expected: tuple[int, str | None, str | None]
                                                                   ) -> None:
    assert problem(await api.put(path, headers=reference_officer(), json=body)) == expected
    async with engine.connect() as conn:
        written = (await conn.execute(text(
            "SELECT (SELECT count(*) FROM calendar_publication WHERE year = ANY(:y)) "
            "+ (SELECT count(*) FROM interest_rate_publication WHERE month = ANY(:m))"), {"y": YEARS, "m": MONTHS})
                   ).scalar_one()
    assert written == 0


async def test_the_packaged_february_2026_may_be_published_again_as_it_is(api: httpx.AsyncClient,
                                                                          engine: AsyncEngine) -> None:
    """The February 2026 KMK is packaged; publishing it as it is (with the imbalan bunga rate the package lacks) is
    a publication, and a second time nothing; other rates are refused (details name the fields)."""
    first = await api.put("/internal/v1/interest-rates/2026-02", headers=reference_officer(), json=FEBRUARY_2026)
    assert (first.status_code, first.json()["outcome"]) == (201, "published"), first.text
    second = await api.put("/internal/v1/interest-rates/2026-02", headers=reference_officer(), json=FEBRUARY_2026)
    assert (second.status_code, second.json()["outcome"], second.json()["published_at"]) == (
        200, "unchanged", first.json()["published_at"])
    assert len(await published_events(engine, "InterestRatesPublished", "2026-02")) == 1
    other = {**FEBRUARY_2026, "rates": {**FEBRUARY_2026["rates"], "tier_3": "1.35"}}
    refused = await api.put("/internal/v1/interest-rates/2026-02", headers=reference_officer(), json=other)
    assert (refused.status_code, refused.json()["details"]) == (
        409, {"month": "2026-02", "known": "packaged", "differs": ["tier_3"]})
