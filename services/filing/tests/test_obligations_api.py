"""A taxpayer's obligations over a range of months, from filing's replica of identity's registry (kind,
registration, PKP status changes consumed as `filing.identity-events`), with due dates and status on the API's
clock (15 April 2026 in these tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy import text

from contracts.identity import TaxpayerUpdated
from filing.registry.handlers import identity_handlers
from kit.testing.events import random_npwp
from services.filing.tests.conftest import Bus, auth
from services.filing.tests.factories import add_spt, envelope, identity_envelopes, registered


def problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_obligations_with_due_dates_and_status(api: httpx.AsyncClient, bus: Bus) -> None:
    company = registered(kind="company", on=date(2025, 3, 10))
    person = registered(kind="individual", on=date(2025, 12, 30))
    # PKP from 10 Jun 2025, revoked from 1 Sep 2025, PKP again from 1 Jan 2026
    await bus.send(identity_handlers(), "identity-events",
                   identity_envelopes(company, (True, date(2025, 6, 10)), (False, date(2025, 9, 1)),
                                      (True, date(2026, 1, 1)))
                   + identity_envelopes(person, (False, date(2025, 12, 30))))
    npwp = company.npwp
    for period, filed_at in [("2025-06", datetime(2025, 7, 20, 2, tzinfo=UTC)),  # on time
                             ("2025-07", datetime(2025, 9, 2, 2, tzinfo=UTC)),  # due Mon 1 Sep (31 Aug a Sunday)
                             ("2026-02", datetime(2026, 3, 31, 16, 30, tzinfo=UTC))]:  # 23:30 WIB on the due day
        await add_spt(bus.engine, npwp=npwp, form="spt_masa_ppn", period=period, status="filed", filed_at=filed_at)
    await add_spt(bus.engine, npwp=npwp, form="spt_masa_ppn", period="2026-01", status="draft")  # not filed

    response = await api.get("/v1/obligations", params={"npwp": npwp, "from": "2025-01", "to": "2026-12"},
                             headers=auth(npwp))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["npwp"], body["from"], body["to"], body["today"]) == (npwp, "2025-01", "2026-12", "2026-04-15")
    rows = [(i["obligation"], i["period"], i["due_date"], i["status"], i["filed_on"]) for i in body["items"]]
    assert rows == [
        ("spt_masa_ppn", "2025-06", "2025-07-31", "filed", "2025-07-20"),
        ("spt_masa_ppn", "2025-07", "2025-09-01", "late", "2025-09-02"),
        ("spt_masa_ppn", "2025-08", "2025-09-30", "overdue", None),  # September 2025 not owed: no longer PKP
        ("spt_masa_ppn", "2026-01", "2026-03-02", "overdue", None),
        ("spt_masa_ppn", "2026-02", "2026-03-31", "filed", "2026-03-31"),
        ("spt_masa_ppn", "2026-03", "2026-04-30", "open", None),
        ("spt_tahunan_badan", "2025", "2026-04-30", "open", None),
        *[("spt_masa_ppn", f"2026-{m:02d}", due, "open", None) for m, due in [
            (4, "2026-06-02"), (5, "2026-06-30"), (6, "2026-07-31"), (7, "2026-08-31"), (8, "2026-09-30"),
            (9, "2026-11-02"), (10, "2026-11-30"), (11, "2026-12-31")]],
        ("spt_masa_ppn", "2026-12", None, "open", None),  # due 31 Jan 2027: no 2027 calendar yet
        ("spt_tahunan_badan", "2026", None, "open", None),
    ]
    january = body["items"][3]
    assert (january["nominal_due_date"], [d["date"] for d in january["days_off"]]) == (
        "2026-02-28", ["2026-02-28", "2026-03-01"])
    december = body["items"][-2]
    assert (december["nominal_due_date"], december["calendar_problem"]) == ("2027-01-31", "calendar.year_unknown")

    own = (await api.get("/v1/obligations", params={"from": "2025-01", "to": "2026-12"},
                         headers=auth(person.npwp))).json()
    # from the year of registration (30 Dec 2025); the 2025 return was due 31 Mar 2026
    assert [(i["obligation"], i["period"], i["status"]) for i in own["items"]] == [
        ("spt_tahunan_op", "2025", "overdue"), ("spt_tahunan_op", "2026", "open")]


async def test_obligation_refusals_have_stable_codes(api: httpx.AsyncClient) -> None:
    npwp = random_npwp()

    async def get(headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
        return await api.get("/v1/obligations", params={"npwp": npwp, **params},
                             headers=auth(npwp) if headers is None else headers)

    assert problem(await get(**{"from": "2026-03", "to": "2026-02"})) == (422, "obligation.range_reversed")
    assert problem(await get(**{"from": "2016-01", "to": "2026-01"})) == (422, "obligation.range_too_long")
    assert problem(await get(**{"from": "2026-1", "to": "2026-02"})) == (422, "period.invalid")
    assert problem(await get(**{"to": "2026-02"})) == (422, "request.invalid")
    assert problem(await get(**{"from": "2026-01", "to": "2026-02"})) == (404, "taxpayer.not_found")
    assert problem(await get({}, **{"from": "2026-01", "to": "2026-02"})) == (401, "unauthorized")
    assert problem(await get(auth(npwp, scopes=["payment:read"]), **{"from": "2026-01", "to": "2026-02"})) == (
        403, "auth.missing_scope")
    assert problem(await get(auth(random_npwp()), **{"from": "2026-01", "to": "2026-02"})) == (
        403, "auth.taxpayer_forbidden")


async def test_the_pkp_replica_survives_redelivery_and_an_npwp_change(api: httpx.AsyncClient, bus: Bus) -> None:
    company = registered(kind="company", on=date(2026, 1, 5))
    envelopes = identity_envelopes(company, (True, date(2026, 2, 1)))
    await bus.send(identity_handlers(), "identity-events", envelopes)
    # the same events again (the inbox), the PKP change republished under a new event id (its row), then NIK-NPWP
    # matching gives the company a new NPWP: the replica follows identity's taxpayer id
    new_npwp = random_npwp()
    moved = TaxpayerUpdated(taxpayer_id=company.taxpayer_id, npwp=new_npwp, previous_npwp=company.npwp,
                            nitku=new_npwp + "000000", name=company.name, kind="company", status="active",
                            changed=["npwp"], updated_at=datetime(2026, 3, 1, tzinfo=UTC))
    republished = identity_envelopes(company, (True, date(2026, 2, 1)))[1]
    await bus.send(identity_handlers(), "identity-events",
                   [*envelopes, republished, envelope(moved, key=new_npwp, sequence=3)])
    body = (await api.get("/v1/obligations", params={"from": "2026-01", "to": "2026-03"},
                          headers=auth(new_npwp))).json()
    assert [(i["obligation"], i["period"]) for i in body["items"]] == [
        ("spt_masa_ppn", "2026-02"), ("spt_masa_ppn", "2026-03"), ("spt_tahunan_badan", "2026")]
    async with bus.engine.connect() as conn:
        changes = (await conn.execute(text("SELECT count(*) FROM pkp_status_change WHERE taxpayer_id = :t"),
                                      {"t": company.taxpayer_id})).scalar_one()
    assert changes == 1
    gone = await api.get("/v1/obligations", params={"from": "2026-01", "to": "2026-03"}, headers=auth(company.npwp))
    assert problem(gone) == (404, "taxpayer.not_found")
