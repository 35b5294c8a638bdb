"""Creating a taxpayer record: the row, its first PKP status period and its events (TaxpayerRegistered, then
PKPStatusChanged, with sequence = the taxpayer's version) commit together, or none of them does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from contracts.identity import PKPStatusChanged, TaxpayerRegistered
from identity.main import create_app
from identity.models import PKPStatusPeriod, Taxpayer
from identity.taxpayers.errors import TaxpayerAlreadyRegistered
from identity.taxpayers.schemas import TaxpayerCreate
from identity.taxpayers.service import register_taxpayer
from kit.clock import JAKARTA
from kit.db import UnitOfWork
from kit.testing.events import outbox_events, random_npwp
from kit.testing.service import api_client
from services.identity.tests.factories import officer_headers, random_npwp15, service_headers


async def events_for(sessions, npwp: str, event_type: str = "TaxpayerRegistered") -> list:  # type: ignore[no-untyped-def,type-arg]
    async with sessions() as session:
        return [e for key, e in await outbox_events(session, event_type=event_type) if key == npwp]


async def outbox_count(sessions, npwp: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int((await session.execute(text("SELECT count(*) FROM outbox WHERE key = :k"), {"k": npwp})).scalar())


async def test_registration_writes_the_row_and_one_event_keyed_by_npwp(sessions) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    taxpayer = await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT A", kind="company"))

    assert taxpayer.nitku == npwp + "000000"
    [event] = await events_for(sessions, npwp)
    assert event == TaxpayerRegistered(taxpayer_id=str(taxpayer.id), npwp=npwp, nitku=npwp + "000000",
                                       name="PT A", kind="company", registered_at=taxpayer.registered_at)


async def test_the_internal_route_records_the_pkp_period_and_event_like_every_other_path(sessions) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    taxpayer = await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="CV B"))

    [changed] = await events_for(sessions, npwp, "PKPStatusChanged")
    assert changed == PKPStatusChanged(taxpayer_id=str(taxpayer.id), npwp=npwp, is_pkp=False,
                                       effective_date=taxpayer.registered_at.astimezone(JAKARTA).date(),
                                       source_of_change="registration")
    async with sessions() as session:
        periods = (await session.execute(select(PKPStatusPeriod.is_pkp, PKPStatusPeriod.source)
                                         .where(PKPStatusPeriod.taxpayer_id == taxpayer.id))).all()
        envelopes = (await session.execute(text("SELECT event_type, payload->>'sequence' FROM outbox WHERE key = :k "
                                                "ORDER BY seq"), {"k": npwp})).all()
    assert [tuple(p) for p in periods] == [(False, "registration")]
    assert [tuple(e) for e in envelopes] == [("TaxpayerRegistered", "1"), ("PKPStatusChanged", "1")]


async def test_a_duplicate_changes_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT A"))
    written = await outbox_count(sessions, npwp)
    with pytest.raises(TaxpayerAlreadyRegistered):
        await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT B"))

    assert len(await events_for(sessions, npwp)) == 1
    async with sessions() as session:
        rows = (await session.execute(select(func.count()).where(Taxpayer.npwp == npwp))).scalar_one()
    # the first registration wrote TaxpayerRegistered and PKPStatusChanged; the duplicate wrote nothing
    assert rows == 1 and written == 2 and await outbox_count(sessions, npwp) == written


async def test_api_creates_reads_and_reports_errors_as_problem_json(settings) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    write, read = service_headers(settings, "registry:write"), service_headers(settings, "registry:read")
    async with api_client(create_app(settings)) as http:
        created = await http.post("/internal/v1/taxpayers", json={"npwp": npwp, "name": "CV Maju"}, headers=write)
        assert created.status_code == 201
        assert (await http.get(f"/internal/v1/taxpayers/{npwp}", headers=read)).json()["name"] == "CV Maju"
        assert (await http.get(f"/internal/v1/taxpayers/{npwp}", headers=write)).status_code == 403

        missing = await http.get(f"/internal/v1/taxpayers/{random_npwp()}", headers=read)
        assert missing.status_code == 404 and missing.json()["code"] == "taxpayer.not_found"
        for bad in ({"npwp": "01.234.567.8-901.000", "name": "X"}, {"npwp": npwp}, {"npwp": npwp, "name": ""},
                    {"npwp": npwp, "name": "X", "kind": "alien"}):
            response = await http.post("/internal/v1/taxpayers", json=bad, headers=write)
            assert response.status_code == 422, bad
            assert response.headers["content-type"] == "application/problem+json"


async def test_every_way_in_writes_the_same_first_facts(settings, sessions, flows) -> None:  # type: ignore[no-untyped-def]
    """Registration, the legacy import and the internal route all create a taxpayer the one way: one PKP period and
    TaxpayerRegistered then PKPStatusChanged, both with sequence 1 (the taxpayer's version)."""
    legacy15 = random_npwp15()
    internal = random_npwp()
    async with api_client(create_app(settings)) as http:
        registered = (await flows.register(http, flows.foreigner()))["npwp"]
        imported = await http.post("/internal/v1/legacy-imports", content=f"npwp15,name,is_pkp,email\n{legacy15},"
                                   "CV Lama,tidak,cv@lama.id\n", headers={**officer_headers(settings),
                                                                         "content-type": "text/csv"})
        assert imported.json()["created"] == 1
        assert (await http.post("/internal/v1/taxpayers", json={"npwp": internal, "name": "CV Baru"},
                                headers=service_headers(settings, "registry:write"))).status_code == 201
    for npwp, source in ((registered, "registration"), ("0" + legacy15, "legacy_import"), (internal, "registration")):
        async with sessions() as session:
            envelopes = (await session.execute(text(
                "SELECT event_type, payload->>'sequence' FROM outbox WHERE key = :k AND topic = 'identity.events' "
                "ORDER BY seq"), {"k": npwp})).all()
            periods = (await session.execute(text(
                "SELECT p.is_pkp, p.source FROM pkp_status_period p JOIN taxpayer t ON t.id = p.taxpayer_id "
                "WHERE t.npwp = :k"), {"k": npwp})).all()
        assert [tuple(e) for e in envelopes] == [("TaxpayerRegistered", "1"), ("PKPStatusChanged", "1")], npwp
        assert [tuple(p) for p in periods] == [(False, source)], npwp
    # the contacts a taxpayer comes in with travel on TaxpayerRegistered (notification's first notice needs them)
    contacts = {}
    for npwp in (registered, "0" + legacy15, internal):
        [event] = await events_for(sessions, npwp)
        contacts[npwp] = (event.email, event.phone)
    assert contacts["0" + legacy15] == ("cv@lama.id", None) and contacts[internal] == (None, None)
    assert all(contacts[registered])
