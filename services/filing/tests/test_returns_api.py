"""The SPT Masa PPN draft over HTTP: who may read it, what the taxpayer adds, and every refusal by its code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from filing.registry.handlers import identity_handlers
from filing.returns.handlers import invoice_handlers
from filing.settings import FilingSettings
from kit.testing.events import random_npwp
from services.filing.tests.conftest import Bus, auth
from services.filing.tests.factories import add_spt, identity_envelopes, keyed, registered, signed

PATH = "/v1/returns/spt-masa-ppn"


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, response.json()["code"]


async def test_reading_needs_a_token_the_read_scope_and_the_taxpayer(api: httpx.AsyncClient) -> None:
    npwp, other = random_npwp(), random_npwp()
    assert problem(await api.get(f"{PATH}/2026-02", params={"npwp": npwp})) == (401, "unauthorized")
    assert problem(await api.get(f"{PATH}/2026-02", params={"npwp": npwp},
                                 headers=auth(npwp, scopes=["invoice:read"]))) == (403, "auth.missing_scope")
    assert problem(await api.get(f"{PATH}/2026-02", params={"npwp": other}, headers=auth(npwp))) == (
        403, "auth.taxpayer_forbidden")
    assert problem(await api.get(f"{PATH}/2026-02", headers=auth(npwp, other))) == (400, "taxpayer.ambiguous")
    assert problem(await api.get(f"{PATH}/2026-13", headers=auth(npwp))) == (422, "period.invalid")
    assert problem(await api.get(f"{PATH}/2026-02", params={"npwp": "12345"}, headers=auth(npwp))) == (
        422, "request.invalid")
    # a taxpayer filing knows nothing of yet: a nil prefill, and `owed` unknown
    body = (await api.get(f"{PATH}/2026-02", headers=auth(npwp))).json()  # the token's only taxpayer
    assert (body["npwp"], body["output"], body["balance"], body["outcome"], body["owed"]) == (
        npwp, [], "0", "nihil", None)


@pytest.fixture
async def pkp(bus: Bus) -> str:
    """A company, PKP since 1 Jan 2025, with one invoice of February 2026 (PPN 11,000,000) consumed."""
    taxpayer = registered()
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(taxpayer, (True, date(2025, 1, 1))))
    await bus.send(invoice_handlers(), "invoice-events", [keyed(signed(
        taxpayer.npwp, buyer=random_npwp(), dpp="100000000", dpp_other="91666667", ppn="11000000"))])
    return taxpayer.npwp


async def put(api: httpx.AsyncClient, npwp: str, body: Any, period: str = "2026-02", **headers: str
              ) -> httpx.Response:
    return await api.put(f"{PATH}/{period}/draft", params={"npwp": npwp}, json=body,
                         headers={**auth(npwp), **headers})


async def test_the_taxpayer_adds_other_input_tax_and_compensation_to_the_draft(api: httpx.AsyncClient,
                                                                              pkp: str) -> None:
    response = await put(api, pkp, {"other_input_ppn": "500000", "compensation": "1000000.50"})
    assert response.status_code == 200, response.text
    body = response.json()
    draft = body["open_return"]
    assert (draft["version"], draft["version_label"], draft["status"], draft["revision"]) == (0, "Normal", "draft", 1)
    assert (body["owed"], body["input"]["other_input_ppn"], body["input"]["creditable_ppn"], body["compensation"]) == (
        True, "500000", "500000", "1000001")  # figures of the SPT are whole rupiah, half up (PER-11 Art 129)
    assert (body["balance"], body["outcome"], body["amount_due"]) == ("9499999", "kurang_bayar", "9499999")
    assert (await api.get(f"{PATH}/2026-02", params={"npwp": pkp}, headers=auth(pkp))).json() == body

    changed = (await put(api, pkp, {"other_input_ppn": "0", "compensation": "12000000"})).json()
    assert (changed["open_return"]["id"], changed["open_return"]["revision"]) == (draft["id"], 2)
    assert (changed["balance"], changed["outcome"], changed["overpayment"]) == ("-1000000", "lebih_bayar", "1000000")


async def test_a_retried_put_with_its_idempotency_key_is_answered_once(api: httpx.AsyncClient, pkp: str) -> None:
    first = await put(api, pkp, {"other_input_ppn": "250000"}, **{"Idempotency-Key": "draft-1"})
    again = await put(api, pkp, {"other_input_ppn": "250000"}, **{"Idempotency-Key": "draft-1"})
    assert (first.status_code, again.status_code, again.headers.get("idempotent-replayed")) == (200, 200, "true")
    assert again.json() == first.json()
    assert first.json()["open_return"]["revision"] == 1
    assert problem(await put(api, pkp, {"other_input_ppn": "1"}, **{"Idempotency-Key": "draft-1"})) == (
        422, "idempotency.key_reused")


BAD_AMOUNTS = [
    ({"other_input_ppn": "100.505"}, "amount.too_many_decimals", "/other_input_ppn"),
    ({"compensation": "-1"}, "amount.negative", "/compensation"),
    ({"compensation": "10000000000000000"}, "amount.too_large", "/compensation"),
]


async def test_an_amount_a_return_cannot_carry_is_refused_and_changes_nothing(api: httpx.AsyncClient,
                                                                            pkp: str) -> None:
    await put(api, pkp, {"other_input_ppn": "7"})
    for body, code, path in BAD_AMOUNTS:
        response = await put(api, pkp, body)
        assert problem(response) == (422, code)
        assert response.json()["details"]["path"] == path
    after = (await api.get(f"{PATH}/2026-02", params={"npwp": pkp}, headers=auth(pkp))).json()
    assert (after["input"]["other_input_ppn"], after["compensation"], after["open_return"]["revision"]) == ("7", "0", 1)


@pytest.mark.parametrize("body", [{"other_input_ppn": "abc"}, {"other_input_ppn": "1", "ppn_paid": "2"}])
async def test_a_body_that_is_not_the_schema_is_refused(api: httpx.AsyncClient, body: dict[str, str]) -> None:
    npwp = random_npwp()
    assert problem(await put(api, npwp, body)) == (422, "request.invalid")


async def test_a_draft_is_refused_when_not_owed_not_known_not_allowed_or_not_a_draft(
        api: httpx.AsyncClient, bus: Bus, settings: FilingSettings) -> None:
    late_pkp, filed, waiting = registered(), registered(), registered()
    await bus.send(identity_handlers(), "identity-events",
                   identity_envelopes(late_pkp, (True, date(2026, 1, 15)))
                   + identity_envelopes(filed, (True, date(2025, 1, 1)))
                   + identity_envelopes(waiting, (True, date(2025, 1, 1))))
    assert problem(await put(api, late_pkp.npwp, {}, period="2025-12")) == (409, "return.not_owed")
    assert (await put(api, late_pkp.npwp, {}, period="2026-01")).status_code == 200  # PKP from 15 Jan: owed
    assert problem(await put(api, random_npwp(), {})) == (404, "taxpayer.not_found")
    assert problem(await api.put(f"{PATH}/2026-02/draft", params={"npwp": late_pkp.npwp}, json={},
                                 headers=auth(late_pkp.npwp, scopes=["filing:read"]))) == (403, "auth.missing_scope")

    await add_spt(bus.engine, npwp=waiting.npwp, form="spt_masa_ppn", period="2026-02", status="awaiting_payment")
    assert problem(await put(api, waiting.npwp, {"compensation": "5"})) == (409, "return.not_draft")

    # once the Normal is filed, the next draft of the period is Pembetulan ke-1
    await add_spt(bus.engine, npwp=filed.npwp, form="spt_masa_ppn", period="2026-02", status="filed",
                  filed_at=datetime(2026, 3, 20, 3, tzinfo=UTC))
    correction = (await put(api, filed.npwp, {"compensation": "5"})).json()["open_return"]
    assert (correction["version"], correction["version_label"]) == (1, "Pembetulan ke-1")
