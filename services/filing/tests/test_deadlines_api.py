"""The public deadline API: nominal and effective due dates, the days off that moved them, refusals by code."""

from __future__ import annotations

import httpx
import pytest


async def test_a_deadline_on_a_holiday_rolls_to_the_next_working_day_without_a_token(api: httpx.AsyncClient) -> None:
    # SPT Masa PPN of February 2025: 31 March 2025 is Idulfitri, then cuti bersama and the weekend
    response = await api.get("/v1/deadlines", params={"obligation": "spt_masa_ppn", "period": "2025-02"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["obligation"], body["period"], body["nominal_due_date"], body["due_date"], body["moved"]) == (
        "spt_masa_ppn", "2025-02", "2025-03-31", "2025-04-08", True)
    assert [d["date"] for d in body["days_off"]] == [f"2025-0{m}-{d:02d}" for m, d in
                                                    [(3, 31), (4, 1), (4, 2), (4, 3), (4, 4), (4, 5), (4, 6), (4, 7)]]
    assert body["days_off"][0] == {"date": "2025-03-31", "kind": "national_holiday", "name": "Idulfitri 1446 H"}
    assert "Art 3(3)(a)" in body["basis"]


async def test_a_saturday_deadline_rolls_over_the_weekend_and_a_monday_holiday(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/deadlines", params={"obligation": "masa_tax_payment", "period": "2026-07"})
    body = response.json()
    assert (body["nominal_due_date"], body["due_date"]) == ("2026-08-15", "2026-08-18")
    assert [(d["date"], d["kind"]) for d in body["days_off"]] == [
        ("2026-08-15", "weekend"), ("2026-08-16", "weekend"), ("2026-08-17", "national_holiday")]
    assert body["days_off"][0]["name"] == "Sabtu"


async def test_a_working_day_deadline_is_not_moved(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v1/deadlines", params={"obligation": "spt_tahunan_badan", "period": "2025"})).json()
    assert (body["nominal_due_date"], body["due_date"], body["moved"], body["days_off"]) == (
        "2026-04-30", "2026-04-30", False, [])


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"obligation": "spt_tahunan_op", "period": "2026"}, 422, "calendar.year_unknown"),  # due 31 Mar 2027
    ({"obligation": "spt_masa_ppn", "period": "2031-05"}, 422, "calendar.year_unknown"),
    ({"obligation": "spt_tahunan_op", "period": "2025-03"}, 422, "obligation.period_mismatch"),
    ({"obligation": "spt_masa_ppn", "period": "2025"}, 422, "obligation.period_mismatch"),
    ({"obligation": "spt_masa_ppn", "period": "2025-13"}, 422, "period.invalid"),
    ({"obligation": "spt_masa_ppn", "period": "Feb 2025"}, 422, "period.invalid"),
    ({"obligation": "spt_masa_pph25", "period": "2025-02"}, 422, "request.invalid"),
    ({"period": "2025-02"}, 422, "request.invalid"),
])
async def test_refusals_have_stable_codes(api: httpx.AsyncClient, params: dict[str, str], status: int,
                                          code: str) -> None:
    response = await api.get("/v1/deadlines", params=params)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_year_names_the_year(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v1/deadlines", params={"obligation": "spt_tahunan_op", "period": "2026"})).json()
    assert body["details"]["year"] == 2027


async def test_the_working_calendar_of_a_year(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v1/working-calendar/2026")).json()
    assert body["year"] == 2026
    assert {"date": "2026-08-17", "kind": "national_holiday"}.items() <= body["days_off"][
        [d["date"] for d in body["days_off"]].index("2026-08-17")].items()
    unknown = await api.get("/v1/working-calendar/2027")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "calendar.year_unknown")


async def test_every_refusal_code_is_listed(api: httpx.AsyncClient) -> None:
    listed = {c["code"]: c["status"] for c in (await api.get("/v1/error-codes")).json()}
    tested = {  # the codes the filing tests provoke, with their status
        "calendar.year_unknown": 422, "obligation.period_mismatch": 422, "period.invalid": 422,
        "request.invalid": 422, "obligation.range_reversed": 422, "obligation.range_too_long": 422,
        "taxpayer.not_found": 404, "unauthorized": 401, "auth.missing_scope": 403, "auth.taxpayer_forbidden": 403,
        "taxpayer.ambiguous": 400, "return.not_owed": 409, "return.not_draft": 409, "amount.negative": 422,
        "amount.too_many_decimals": 422, "amount.too_large": 422, "idempotency.key_reused": 422,
        "return.unsigned": 422, "return.normal_exists": 409, "return.audit_started": 409, "return.changed": 409,
        "signature.identity_unavailable": 503, "receipt.not_found": 404, "submission.not_found": 404,
        "return.paid_amount_differs": 409,
        # pure rules already written for the slices to come
        "correction.under_audit": 409,
        "sanctions.interest_rate_unknown": 422,
    }
    assert {code: listed.get(code) for code in tested} == tested
