"""Audits and assessments through the officer routes on the real PostgreSQL and broker: an officer's client opens an
audit of a taxpayer's period (AuditStarted), issues an SKPKB with Art 13(2) interest (SKPIssued), closes the audit
(AuditClosed); the period's returns are then considered not filed (UU KUP Art 3(7)(d)). Clock: 15 April 2026."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from filing.registry.handlers import identity_handlers
from filing.sanctions.stp import bill_due_date
from kit.testing.events import outbox_envelopes, random_npwp
from services.filing.tests.conftest import MAKER, Bus, auth
from services.filing.tests.factories import identity_envelopes, registered
from services.filing.tests.identity_standin import StandIn
from services.filing.tests.test_submission import Filer, problem


def officer(scopes: tuple[str, ...] = ("filing:officer",), kind: str = "officer") -> dict[str, str]:
    """A client-credentials token of an officer console (client kind `officer`)."""
    token = MAKER.make(subject="console-kpp-001", scopes=scopes, client_kind=kind, client_id="console-kpp-001")
    return {"authorization": f"Bearer {token}"}


async def published(bus: Bus, event_type: str, subject: str) -> list[tuple[int, dict[str, Any]]]:
    async with bus.sessions() as s:
        return [(e.sequence, e.data) for _, e, _ in await outbox_envelopes(s, event_type=event_type,
                                                                            subjects=[subject])]


async def test_an_officer_audits_a_period_issues_an_skpkb_and_closes_the_audit(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    taxpayer = registered()
    npwp = taxpayer.npwp
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(taxpayer, (True, date(2025, 1, 1))))
    api = signing_api
    body = {"npwp": npwp, "period": "2025-09", "form": "spt_masa_ppn", "audit_type": "field"}

    # only an officer's client with filing:officer
    assert problem(await api.post("/internal/v1/audits", json=body, headers=auth(npwp))) == (403, "auth.officer_required")
    assert problem(await api.post("/internal/v1/audits", json=body, headers=officer(scopes=("filing:read",)))) == (
        403, "auth.missing_scope")
    assert problem(await api.post("/internal/v1/audits", json={**body, "npwp": random_npwp()}, headers=officer())) == (
        404, "taxpayer.not_found")
    assert problem(await api.post("/internal/v1/audits", json={**body, "form": "spt_masa_ppn_x"}, headers=officer())) == (
        404, "form.unknown")
    assert problem(await api.post("/internal/v1/audits", json={**body, "period": "2025-9"}, headers=officer())) == (
        422, "period.invalid")

    opened = await api.post("/internal/v1/audits", json=body, headers={**officer(), "Idempotency-Key": "sp2-0001"})
    assert opened.status_code == 201, opened.text
    audit = opened.json()
    assert (audit["status"], audit["form"], audit["officer_account_id"], audit["skps"]) == (
        "open", "spt_masa_ppn", "console-kpp-001", [])
    again = await api.post("/internal/v1/audits", json=body, headers={**officer(), "Idempotency-Key": "sp2-0001"})
    assert again.json() == audit
    assert problem(await api.post("/internal/v1/audits", json={**body, "form": None}, headers=officer())) == (
        409, "audit.already_open")
    ((sequence, started),) = await published(bus, "AuditStarted", audit["id"])
    assert (sequence, started["npwp"], started["period"], started["audit_type"]) == (1, npwp, "2025-09", "field")

    # the period's return is now considered not filed (Art 3(7)(d)), before anything is signed
    filer = Filer(api, identity, npwp)
    calls = identity.signing_calls
    assert problem(await filer.submit("2025-09")) == (409, "return.audit_started")

    # assessments
    skps = f"/internal/v1/audits/{audit['id']}/skps"
    skpkb = {"kind": "SKPKB", "form": "spt_masa_ppn", "principal": "10000000",
             "reasoning": "PPN keluaran atas penyerahan yang tidak dibuatkan faktur"}
    for change, code in [({"kind": "SKPKBT"}, "skp.no_earlier_assessment"), ({"kind": "SKPN"}, "skp.kind_mismatch"),
                         ({"principal": "1.005"}, "amount.too_many_decimals"),
                         ({"form": "spt_tahunan_badan"}, "audit.form_mismatch")]:
        assert problem(await api.post(skps, json={**skpkb, **change}, headers=officer())) == (
            409 if code == "skp.no_earlier_assessment" else 422, code)
    assert problem(await api.post("/internal/v1/audits/00000000-0000-0000-0000-000000000000/skps", json=skpkb,
                                  headers=officer())) == (404, "audit.not_found")
    issued = await api.post(skps, json=skpkb, headers=officer())
    assert issued.status_code == 201, issued.text
    skp = issued.json()
    # Art 13(2): 10,000,000 x 1.79% (Sep 2025, tier 4) x 7 months (30 Sep 2025 -> 15 Apr 2026) = 1,253,000
    assert (skp["kind"], skp["principal"], skp["interest"], skp["interest_months"], skp["total"], skp["kap_kjs"]) == (
        "SKPKB", "10000000", "1253000", 7, "11253000", "411211-310")
    assert skp["due_date"] == bill_due_date(date(2026, 4, 15)).effective.isoformat()
    assert skp["number"].startswith("SKPKB-2026-")
    ((sequence, data),) = await published(bus, "SKPIssued", skp["id"])
    assert (sequence, data["kind"], data["interest"], data["total"], data["audit_id"], data["reasoning"]) == (
        1, "SKPKB", "1253000", "11253000", audit["id"], skpkb["reasoning"])
    assert problem(await api.post(skps, json=skpkb, headers=officer())) == (409, "skp.earlier_assessment_exists")
    skpkbt = (await api.post(skps, json={**skpkb, "kind": "SKPKBT", "principal": "500000"}, headers=officer())).json()
    assert (skpkbt["kind"], skpkbt["kap_kjs"]) == ("SKPKBT", "411211-320")

    # after an assessment the return is refused on both grounds
    refused = await filer.submit("2025-09")
    assert refused.json()["details"]["reasons"] == ["return.audit_started", "return.assessment_issued"]
    assert identity.signing_calls == calls

    # closing
    closure = f"/internal/v1/audits/{audit['id']}/closure"
    assert problem(await api.post(closure, json={"outcome": "no_findings"}, headers=officer())) == (
        409, "audit.outcome_mismatch")
    closed = (await api.post(closure, json={"outcome": "assessed"}, headers=officer())).json()
    assert (closed["status"], closed["outcome"], [s["id"] for s in closed["skps"]]) == (
        "closed", "assessed", [skp["id"], skpkbt["id"]])
    ((sequence, data),) = await published(bus, "AuditClosed", audit["id"])
    assert (sequence, data["outcome"], data["skp_ids"]) == (2, "assessed", [skp["id"], skpkbt["id"]])
    assert problem(await api.post(closure, json={"outcome": "assessed"}, headers=officer())) == (409, "audit.closed")
    assert problem(await api.post(skps, json=skpkb, headers=officer())) == (409, "audit.closed")
    assert (await api.get(f"/internal/v1/audits/{audit['id']}", headers=officer())).json() == closed

    # the taxpayer reads its assessments
    mine = (await api.get("/v1/skps", headers=auth(npwp))).json()
    assert [(s["kind"], s["total"]) for s in mine] == [("SKPKB", "11253000"), ("SKPKBT", "562650")]  # 500,000 + 62,650
