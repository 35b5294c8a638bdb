"""A written warning (Surat Teguran) an officer records is published in the transaction that records it:
`WrittenWarningIssued` on `filing.events`, keyed by the taxpayer's NPWP, aggregate `written_warning`, subject the
warning id, `sequence` 1, so notification can tell the taxpayer. A refused request publishes nothing, and a replay
(the same `Idempotency-Key`) publishes nothing again. On the real PostgreSQL; the API's day is 15 April 2026."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.filing import WrittenWarningIssued
from filing.settings import FilingSettings
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes, random_npwp
from services.filing.tests.conftest import MAKER
from services.filing.tests.seed import add_taxpayer
from services.filing.tests.test_sanction_run import officer

WARNINGS = "/internal/v1/written-warnings"


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    e = create_engine(settings.database, application_name="test.warning-events", pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def number() -> str:
    return f"ST-{uuid.uuid4().hex[:8]}/WPJ.04/KP.0103/2025"


async def warning_events(engine: AsyncEngine, npwp: str) -> list[tuple[str, Any, Any]]:
    """(key, envelope, event) of every WrittenWarningIssued in the outbox about `npwp`, oldest first."""
    async with create_sessionmaker(engine)() as s:
        rows = await outbox_envelopes(s, event_type="WrittenWarningIssued")
    return [(key, env, event) for key, env, event in rows if event.npwp == npwp]


async def outbox_row(engine: AsyncEngine, warning_id: str) -> tuple[str, str, int]:
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT topic, aggregate_type, event_version FROM outbox "
                                       "WHERE aggregate_id = :id"), {"id": warning_id})).one()
    return row.topic, row.aggregate_type, row.event_version


async def test_a_recorded_warning_is_in_the_outbox_with_its_envelope(api: httpx.AsyncClient,
                                                                    engine: AsyncEngine) -> None:
    npwp = await add_taxpayer(engine)
    letter = number()
    body = {"npwp": npwp, "form": "spt_masa_ppn", "period": "2023-03", "number": letter, "warned_on": "2025-06-02"}
    recorded = await api.post(WARNINGS, json=body, headers={**officer(), "Idempotency-Key": letter})
    assert recorded.status_code == 201, recorded.text
    read = recorded.json()

    [(key, envelope, event)] = await warning_events(engine, npwp)
    assert (key, envelope.partition_key, envelope.subject, envelope.sequence) == (npwp, npwp, read["id"], 1)
    assert (envelope.type, envelope.version, envelope.source) == ("WrittenWarningIssued", 1, "filing")
    assert await outbox_row(engine, read["id"]) == ("filing.events", "written_warning", 1)
    assert event == WrittenWarningIssued(
        warning_id=read["id"], letter_number=letter, npwp=npwp, form="spt_masa_ppn", period="2023-03",
        issued_on=date(2025, 6, 2), overpayment_filing_limit=date(2026, 3, 31),
        recorded_at=datetime.fromisoformat(read["recorded_at"]), officer_account_id="officer-console")

    # a replay answers the same and publishes nothing more; the same letter again is refused, nothing published
    again = await api.post(WARNINGS, json=body, headers={**officer(), "Idempotency-Key": letter})
    assert again.status_code == 201 and again.json() == read
    assert code(await api.post(WARNINGS, json=body, headers=officer())) == (409, "warning.number_exists")
    assert len(await warning_events(engine, npwp)) == 1


async def test_a_warning_about_an_annual_return_carries_its_form_year_and_limit(api: httpx.AsyncClient,
                                                                               engine: AsyncEngine) -> None:
    npwp = await add_taxpayer(engine, kind="individual")
    letter = number()
    recorded = await api.post(WARNINGS, headers=officer(), json={
        "npwp": npwp, "form": "spt-tahunan-op", "period": "2022", "number": letter, "warned_on": "2026-04-15"})
    assert recorded.status_code == 201, recorded.text
    [(_, envelope, event)] = await warning_events(engine, npwp)
    assert (envelope.subject, event.warning_id, event.form, event.period, event.issued_on,
            event.overpayment_filing_limit, event.letter_number) == (
        recorded.json()["id"], recorded.json()["id"], "spt_tahunan_op", "2022", date(2026, 4, 15),
        date(2025, 12, 31), letter)


async def test_a_refused_warning_publishes_nothing(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    npwp = await add_taxpayer(engine)
    body = {"npwp": npwp, "form": "spt_masa_ppn", "period": "2023-03", "number": number(), "warned_on": "2025-06-02"}
    taxpayer = MAKER.make(subject=str(uuid.uuid4()), scopes=("filing:read", "filing:submit"), taxpayer_ids=[npwp])
    refusals = [
        ({"authorization": f"Bearer {taxpayer}"}, body, (403, "auth.officer_required")),
        (officer(("filing:read",)), body, (403, "auth.missing_scope")),
        (officer(), {**body, "form": "spt_masa_lain"}, (404, "form.unknown")),
        (officer(), {**body, "period": "2023"}, (422, "period.invalid")),
        (officer(), {**body, "warned_on": "2023-03-31"}, (422, "warning.date_invalid")),  # before the period ended
        (officer(), {**body, "warned_on": "2026-04-16"}, (422, "warning.date_invalid")),  # after today
    ]
    for headers, sent, expected in refusals:
        assert code(await api.post(WARNINGS, json=sent, headers=headers)) == expected, expected
    unknown = random_npwp()
    assert code(await api.post(WARNINGS, json={**body, "npwp": unknown}, headers=officer())) == (
        404, "taxpayer.not_found")
    assert await warning_events(engine, npwp) == [] and await warning_events(engine, unknown) == []
    assert (await api.get(WARNINGS, params={"npwp": npwp}, headers=officer())).json() == []

    # a number already recorded for another taxpayer: refused, and neither warning nor event for this one
    other = await add_taxpayer(engine)
    assert (await api.post(WARNINGS, json={**body, "npwp": other}, headers=officer())).status_code == 201
    assert code(await api.post(WARNINGS, json=body, headers=officer())) == (409, "warning.number_exists")
    assert await warning_events(engine, npwp) == [] and len(await warning_events(engine, other)) == 1
