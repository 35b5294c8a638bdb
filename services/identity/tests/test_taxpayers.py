"""Creating a taxpayer record: the row and its TaxpayerRegistered event commit together, or neither does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from contracts.identity import TaxpayerRegistered
from identity.errors import TaxpayerAlreadyRegistered
from identity.main import create_app
from identity.models import Taxpayer
from identity.schemas import TaxpayerCreate
from identity.service import register_taxpayer
from identity.settings import IdentitySettings
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import outbox_events, random_npwp
from kit.testing.service import api_client, service_settings


@pytest.fixture
def settings(infra) -> IdentitySettings:  # type: ignore[no-untyped-def]
    return service_settings(infra, IdentitySettings, "identity")


@pytest.fixture
async def sessions(settings):  # type: ignore[no-untyped-def]
    engine = create_engine(settings.database, application_name="test")
    yield create_sessionmaker(engine)
    await engine.dispose()


async def events_for(sessions, npwp: str) -> list[TaxpayerRegistered]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return [e for key, e in await outbox_events(session, event_type="TaxpayerRegistered") if key == npwp]


async def test_registration_writes_the_row_and_one_event_keyed_by_npwp(sessions) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    taxpayer = await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT A", kind="company"))

    assert taxpayer.nitku == npwp + "000000"
    [event] = await events_for(sessions, npwp)
    assert event == TaxpayerRegistered(taxpayer_id=str(taxpayer.id), npwp=npwp, nitku=npwp + "000000",
                                       name="PT A", kind="company", registered_at=taxpayer.registered_at)


async def test_a_duplicate_changes_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT A"))
    with pytest.raises(TaxpayerAlreadyRegistered):
        await register_taxpayer(UnitOfWork(sessions), TaxpayerCreate(npwp=npwp, name="PT B"))

    assert len(await events_for(sessions, npwp)) == 1
    async with sessions() as session:
        rows = (await session.execute(select(func.count()).where(Taxpayer.npwp == npwp))).scalar_one()
        pending = (await session.execute(text("SELECT count(*) FROM outbox WHERE key = :k"), {"k": npwp})).scalar()
    assert rows == 1 and pending == 1


async def test_api_creates_reads_and_reports_errors_as_problem_json(settings) -> None:  # type: ignore[no-untyped-def]
    npwp = random_npwp()
    async with api_client(create_app(settings)) as http:
        created = await http.post("/internal/v1/taxpayers", json={"npwp": npwp, "name": "CV Maju"})
        assert created.status_code == 201
        assert (await http.get(f"/internal/v1/taxpayers/{npwp}")).json()["name"] == "CV Maju"

        missing = await http.get(f"/internal/v1/taxpayers/{random_npwp()}")
        assert missing.status_code == 404 and missing.json()["code"] == "taxpayer.not_found"
        for bad in ({"npwp": "01.234.567.8-901.000", "name": "X"}, {"npwp": npwp}, {"npwp": npwp, "name": ""},
                    {"npwp": npwp, "name": "X", "kind": "alien"}):
            response = await http.post("/internal/v1/taxpayers", json=bad)
            assert response.status_code == 422, bad
            assert response.headers["content-type"] == "application/problem+json"
