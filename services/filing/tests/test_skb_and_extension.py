"""SKB (tax-rules.md §7.2): a taxpayer applies, an officer decides within 5 working days (the calendar), an approved
SKB holds to the end of the tax year and withholders read it; the decision is published (`SKBIssued` or
`SKBRejected`, keyed by the payee's NPWP, `sequence` = the application's revision). Annual extension (UU KUP Art 3(4)): asked before the
deadline, it moves the SPT Tahunan's effective due date. The API's day is Wednesday 15 April 2026."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.filing import SKBIssued, SKBRejected
from filing.settings import FilingSettings
from kit.clock import JAKARTA
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes, random_npwp
from services.filing.tests.conftest import auth
from services.filing.tests.seed import add_taxpayer, at, file_return
from services.filing.tests.test_sanction_run import officer


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    e = create_engine(settings.database, application_name="test.skb", pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def decision_events(engine: AsyncEngine, application_id: str) -> list[tuple[str, str, int, object]]:
    """(key, subject, sequence, event) of the application's outbox rows."""
    async with create_sessionmaker(engine)() as s:
        rows = await outbox_envelopes(s, subjects=[application_id])
    return [(key, env.subject, env.sequence, event) for key, env, event in rows]


async def test_skb_application_decision_and_withholders_read(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    payee = await add_taxpayer(engine)
    body = {"tax": "pph23", "ground": "fiscal_loss", "statement": "Baru berdiri, masih tahap investasi."}
    applied = await api.post("/v1/skb/applications", json=body, headers={**auth(payee), "Idempotency-Key": payee})
    assert applied.status_code == 201, applied.text
    application = applied.json()
    # received Wed 15 Apr: Thu 16, Fri 17, Mon 20, Tue 21, Wed 22
    assert (application["status"], application["received_on"], application["decision_due"], application["overdue"],
            application["tax_year"]) == ("submitted", "2026-04-15", "2026-04-22", False, 2026)
    path = f"/v1/skb/applications/{application['id']}"
    assert (await api.get(path, headers=auth(payee))).json() == application
    assert code(await api.get(path, headers=auth(random_npwp()))) == (404, "skb.not_found")
    queue = (await api.get("/internal/v1/skb/applications", params={"limit": 200}, headers=officer())).json()
    assert application["id"] in [a["id"] for a in queue]
    assert code(await api.get("/internal/v1/skb/applications", headers=auth(payee))) == (403, "auth.officer_required")

    decision = f"/internal{path}/decision"
    assert code(await api.post(decision, json={"decision": "approve"}, headers=auth(payee))) == (
        403, "auth.officer_required")
    decided = await api.post(decision, json={"decision": "approve"}, headers=officer())
    assert decided.status_code == 200, decided.text
    skb = decided.json()
    assert (skb["status"], skb["valid_from"], skb["valid_until"]) == ("approved", "2026-04-15", "2026-12-31")
    assert skb["number"].startswith("SKB-2026-")
    assert code(await api.post(decision, json={"decision": "reject", "reason": "x"},
                               headers=officer())) == (409, "skb.already_decided")
    [(key, subject, sequence, issued)] = await decision_events(engine, application["id"])  # one, however often asked
    assert (key, subject, sequence) == (payee, application["id"], 2)
    assert issued == SKBIssued(
        application_id=application["id"], skb_number=skb["number"], npwp=payee, tax="pph23", ground="fiscal_loss",
        tax_year=2026, valid_from=date(2026, 4, 15), valid_until=date(2026, 12, 31), received_on=date(2026, 4, 15),
        decision_due=date(2026, 4, 22), decided_at=issued.decided_at, officer_account_id=issued.officer_account_id)
    assert issued.officer_account_id and issued.decided_at.astimezone(JAKARTA).date() == date(2026, 4, 15)

    withholder = auth(random_npwp(), scopes=("filing:read",))
    read = await api.get(f"/v1/skb/{skb['number']}", headers=withholder)
    assert read.status_code == 200
    assert read.json() == {"number": skb["number"], "npwp": payee, "tax": "pph23", "tax_year": 2026,
                           "valid_from": "2026-04-15", "valid_until": "2026-12-31", "valid_today": True}
    assert (await api.get("/v1/skb", params={"npwp": payee}, headers=withholder)).json() == [read.json()]
    assert code(await api.get("/v1/skb/SKB-2026-999999999", headers=withholder)) == (404, "skb.not_found")


async def test_skb_rejection_needs_a_reason(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    payee = await add_taxpayer(engine)
    application = (await api.post("/v1/skb/applications", headers=auth(payee), json={
        "tax": "pph22", "ground": "final_income_only", "statement": "Hanya penghasilan final."})).json()
    path = f"/internal/v1/skb/applications/{application['id']}/decision"
    assert code(await api.post(path, json={"decision": "reject"}, headers=officer())) == (422, "skb.reason_required")
    rejected = (await api.post(path, json={"decision": "reject", "reason": "Rugi fiskal tidak terbukti."},
                               headers=officer())).json()
    assert (rejected["status"], rejected["rejection_reason"], rejected["number"]) == (
        "rejected", "Rugi fiskal tidak terbukti.", None)
    [(key, _, sequence, event)] = await decision_events(engine, application["id"])
    assert (key, sequence, type(event)) == (payee, 2, SKBRejected)
    assert isinstance(event, SKBRejected)
    assert (event.reason, event.tax, event.ground, event.tax_year) == (
        "Rugi fiskal tidak terbukti.", "pph22", "final_income_only", 2026)
    assert (await api.get("/v1/skb", params={"npwp": payee}, headers=auth(payee))).json() == []
    assert code(await api.post("/v1/skb/applications", headers=auth(random_npwp()), json={
        "tax": "pph22", "ground": "final_income_only", "statement": "x"})) == (404, "taxpayer.not_found")


async def test_annual_extension_moves_the_due_date(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    company = await add_taxpayer(engine, kind="company", registered=date(2024, 3, 1))
    person = await add_taxpayer(engine, kind="individual", registered=date(2024, 3, 1))
    path = "/v1/obligations/spt_tahunan_badan/2025/extension"
    extended = await api.post(path, json={"months": 2}, headers={**auth(company), "Idempotency-Key": "ext-1"})
    assert extended.status_code == 201, extended.text
    assert {k: extended.json()[k] for k in ("months", "original_due_date", "nominal_due_date", "due_date")} == {
        "months": 2, "original_due_date": "2026-04-30", "nominal_due_date": "2026-06-30", "due_date": "2026-06-30"}
    replayed = await api.post(path, json={"months": 2}, headers={**auth(company), "Idempotency-Key": "ext-1"})
    assert (replayed.status_code, replayed.headers.get("idempotent-replayed")) == (201, "true")
    listed = (await api.get("/v1/obligations", params={"from": "2025-01", "to": "2025-12"},
                            headers=auth(company))).json()["items"]
    assert [(i["period"], i["due_date"], i["extended_by_months"], i["status"]) for i in listed] == [
        ("2025", "2026-06-30", 2, "open")]

    assert code(await api.post(path, json={"months": 1}, headers=auth(company))) == (
        409, "obligation.extension_exists")
    assert code(await api.post("/v1/obligations/spt_tahunan_op/2025/extension", json={"months": 2},
                               headers=auth(person))) == (409, "obligation.extension_too_late")  # due 31 Mar 2026
    assert code(await api.post(path, json={"months": 3}, headers=auth(person))) == (
        422, "obligation.extension_too_long")
    assert code(await api.post("/v1/obligations/spt_masa_ppn/2025/extension", json={},
                               headers=auth(company))) == (422, "obligation.extension_not_annual")
    assert code(await api.post(path, json={"months": 2}, headers=auth(person))) == (409, "return.not_owed")
    filed = await add_taxpayer(engine, kind="company", registered=date(2024, 3, 1))
    await file_return(engine, filed, "spt_tahunan_badan", "2025", at(date(2026, 4, 1)))
    assert code(await api.post(path, json={"months": 2}, headers=auth(filed))) == (409, "obligation.extension_filed")
    assert code(await api.post(path, json={"months": 2}, headers=auth(company, scopes=("filing:read",)))) == (
        403, "auth.missing_scope")
