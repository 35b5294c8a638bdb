"""UU KUP Art 3(7)(c) through the API: an officer records a written warning (Surat Teguran) about a taxpayer's
return, and a lebih bayar return of that period submitted more than 3 years after the period ended is then refused
(`return.overpayment_too_late`), before identity is called and with nothing written, alone or in a batch. On the real
PostgreSQL, signed through identity's protocol (the stand-in). The API's clock is 15 April 2026, so March 2023's
3 years ended on 31 March 2026.

The SPT Masa PPN of 2023 has no due date filing can compute yet (its working-day calendar holds 2025 and 2026 only:
`calendar.year_unknown`), so a 2023 return the rule lets through is stopped by that next check: the contrasts below
show the rule letting it through by that other refusal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.main import create_app
from filing.returns.models import ppn_output, spt
from filing.settings import FilingSettings, IdentityClientSettings
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import create_engine
from kit.testing.events import random_npwp
from kit.testing.service import api_client, service_settings
from services.filing.tests.conftest import MAKER, TODAY
from services.filing.tests.identity_standin import StandIn
from services.filing.tests.seed import add_taxpayer
from services.filing.tests.test_submission_batch import Consultant, nil, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")
WARNINGS = "/internal/v1/written-warnings"
PKP_2022 = ((True, date(2022, 1, 1)),)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(infra: Any, identity: StandIn) -> AsyncIterator[httpx.AsyncClient]:
    settings = service_settings(infra, FilingSettings, "filing")
    settings = settings.model_copy(update={"identity": IdentityClientSettings(
        base_url=identity.url, client_id=identity.client_id, client_secret=SecretStr(identity.client_secret),
        attempts=2)})
    application = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(application) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(infra: Any) -> AsyncIterator[AsyncEngine]:
    e = create_engine(service_settings(infra, FilingSettings, "filing").database, application_name="test.warnings",
                      pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


def officer(scopes: tuple[str, ...] = ("filing:officer",)) -> dict[str, str]:
    token = MAKER.make(subject="console-kpp-001", scopes=scopes, client_kind="officer", client_id="console-kpp-001")
    return {"authorization": f"Bearer {token}"}


async def lebih_bayar_2023(engine: AsyncEngine, period: str = "2023-03") -> str:
    """A PKP since 2022 whose SPT Masa PPN of `period` shows a lebih bayar: Rp1,100,000 output, Rp1,500,000
    compensation carried in (a draft at revision 1)."""
    npwp = await add_taxpayer(engine, pkp=PKP_2022)
    async with engine.begin() as conn:
        await conn.execute(insert(ppn_output).values(npwp=npwp, period=period, transaction_code="01", invoices=1,
                                                     dpp=11_000_000, ppn=1_100_000))
        await conn.execute(insert(spt).values(id=uuid.uuid4(), npwp=npwp, form="spt_masa_ppn", period=period,
                                              version=0, status="draft", compensation=1_500_000, revision=1))
    return npwp


def warning(npwp: str, number: str, **extra: Any) -> dict[str, Any]:
    return {"npwp": npwp, "form": "spt_masa_ppn", "period": "2023-03", "number": number, "warned_on": "2025-06-02",
            **extra}


async def test_an_officer_records_a_written_warning_about_a_return(app: httpx.AsyncClient,
                                                                    engine: AsyncEngine) -> None:
    npwp = await lebih_bayar_2023(engine)
    number = f"ST-{uuid.uuid4().hex[:8]}/WPJ.04/KP.0103/2025"
    body = warning(npwp, number)

    # only an officer's client with filing:officer; the taxpayer must be known, the form and period valid
    taxpayer_token = MAKER.make(subject=str(uuid.uuid4()), scopes=("filing:read", "filing:submit"),
                                taxpayer_ids=[npwp])
    assert problem(await app.post(WARNINGS, json=body, headers={"authorization": f"Bearer {taxpayer_token}"})) == (
        403, "auth.officer_required")
    assert problem(await app.post(WARNINGS, json=body, headers=officer(("filing:read",)))) == (
        403, "auth.missing_scope")
    assert problem(await app.post(WARNINGS, json={**body, "npwp": random_npwp()}, headers=officer())) == (
        404, "taxpayer.not_found")
    assert problem(await app.post(WARNINGS, json={**body, "form": "spt_masa_lain"}, headers=officer())) == (
        404, "form.unknown")
    assert problem(await app.post(WARNINGS, json={**body, "period": "2023"}, headers=officer())) == (
        422, "period.invalid")
    for warned_on, bound in (("2023-03-31", "earliest"), ("2026-04-16", "latest")):
        r = await app.post(WARNINGS, json={**body, "warned_on": warned_on}, headers=officer())
        assert problem(r) == (422, "warning.date_invalid") and r.json()["details"]["path"] == "/warned_on"
        assert bound in r.json()["details"]

    recorded = await app.post(WARNINGS, json=body, headers={**officer(), "Idempotency-Key": number})
    assert recorded.status_code == 201, recorded.text
    read = recorded.json()
    assert (read["npwp"], read["form"], read["period"], read["number"], read["warned_on"],
            read["officer_account_id"], read["overpayment_filing_limit"]) == (
        npwp, "spt_masa_ppn", "2023-03", number, "2025-06-02", "console-kpp-001", "2026-03-31")
    again = await app.post(WARNINGS, json=body, headers={**officer(), "Idempotency-Key": number})
    assert again.json() == read
    r = await app.post(WARNINGS, json={**body, "period": "2023-04"}, headers=officer())
    assert problem(r) == (409, "warning.number_exists") and r.json()["details"]["warning_id"] == read["id"]

    listed = await app.get(WARNINGS, params={"npwp": npwp}, headers=officer())
    assert listed.status_code == 200 and [w["id"] for w in listed.json()] == [read["id"]]
    assert (await app.get(WARNINGS, params={"npwp": npwp, "period": "2023-04"}, headers=officer())).json() == []
    codes = {c["code"] for c in (await app.get("/v1/error-codes")).json()}
    assert {"warning.number_exists", "warning.date_invalid", "return.overpayment_too_late"} <= codes


async def test_a_warned_lebih_bayar_return_more_than_3_years_late_is_considered_not_filed(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn) -> None:
    warned, not_warned, warned_elsewhere = (await lebih_bayar_2023(engine), await lebih_bayar_2023(engine),
                                            await lebih_bayar_2023(engine))
    within = await lebih_bayar_2023(engine, "2023-04")  # April 2023's 3 years end on 30 April 2026
    for npwp, period in ((warned, "2023-03"), (warned_elsewhere, "2023-02"), (within, "2023-04")):
        r = await app.post(WARNINGS, json=warning(npwp, f"ST-{uuid.uuid4().hex[:10]}", period=period),
                           headers=officer())
        assert r.status_code == 201, r.text
    consultant = Consultant(identity, warned, not_warned, warned_elsewhere, within)
    body = {"credential_id": consultant.credential.id, "passphrase": consultant.credential.passphrase}
    calls = identity.signing_calls

    r = await app.post("/v1/returns/spt-masa-ppn/2023-03/submission", params={"npwp": warned}, json=body,
                       headers=consultant.headers())
    assert problem(r) == (409, "return.overpayment_too_late")
    assert r.json()["details"]["reasons"] == ["return.overpayment_too_late"]
    assert identity.signing_calls == calls  # refused before identity: nothing signed
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT spt.status, spt.revision, s.spt_id AS signed FROM spt LEFT JOIN spt_submission s "
            "ON s.spt_id = spt.id WHERE spt.npwp = :n"), {"n": warned})).all()
    assert [(x.status, x.revision, x.signed) for x in rows] == [("draft", 1, None)]  # nothing written

    # the rule lets these through (never warned; warned about another period; warned, but within the 3 years):
    # the next check stops them, as the 2023 due dates need a calendar filing does not have yet
    for npwp, period in ((not_warned, "2023-03"), (warned_elsewhere, "2023-03"), (within, "2023-04")):
        r = await app.post(f"/v1/returns/spt-masa-ppn/{period}/submission", params={"npwp": npwp}, json=body,
                           headers=consultant.headers())
        assert problem(r) == (422, "calendar.year_unknown") and r.json()["details"]["year"] == 2023, r.text


async def test_in_a_batch_the_warned_return_is_refused_alone(app: httpx.AsyncClient, engine: AsyncEngine,
                                                             identity: StandIn) -> None:
    warned, on_time = await lebih_bayar_2023(engine), await nil(engine)
    r = await app.post(WARNINGS, json=warning(warned, f"ST-{uuid.uuid4().hex[:10]}"), headers=officer())
    assert r.status_code == 201, r.text
    consultant = Consultant(identity, warned, on_time)
    r = await app.post("/v1/returns/submissions", headers=consultant.headers(), json={
        "credential_id": consultant.credential.id, "passphrase": consultant.credential.passphrase,
        "returns": [{"npwp": warned, "period": "2023-03"}, {"npwp": on_time, "period": "2026-03"}]})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(x["status"], (x["error"] or {}).get("code")) for x in items] == [
        ("refused", "return.overpayment_too_late"), ("filed", None)]
    assert items[0]["error"]["details"]["path"] == "/returns/0"
