"""The bank sandbox (libs/sandbox, `POST /bank/pay`) paying codes against the real payment API on the real database:
it inquires, confirms the amount shown and answers the NTPN; payment's refusals come back with their codes; a retry
with the same bank reference is the same payment. (tests/test_bank_sandbox_e2e.py does it through `make run`'s stack,
with the bank's client registered at identity.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kit.testing.events import random_npwp
from kit.testing.service import api_client
from sandbox.bank import BankConfig
from sandbox.http import create_app
from sandbox.settings import SandboxSettings
from sandbox.store import Store
from services.payment.tests.conftest import World
from services.payment.tests.factories import MAKER, taxpayer_token

BANK = "bank-sandbox-test"


@pytest.fixture
async def bank(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox app, its bank calling the payment app under test with a bank client's token."""
    token = MAKER.make(subject=BANK, scopes=("payment:bank",), client_kind="bank", client_id=BANK, expires_in=3600)
    settings = SandboxSettings(bank=BankConfig(payment_url=str(world.http.base_url), token=token, name="sandbox"))
    async with api_client(create_app(settings, Store(100), bank_http=world.http)) as http:
        yield http


async def test_a_person_pays_a_code_at_the_bank_sandbox_and_reads_the_ntpn(world: World,
                                                                           bank: httpx.AsyncClient) -> None:
    npwp = random_npwp()
    code = (await world.new_code(npwp, kap_kjs="411121-100", period="2026-11", amount="1750000"))["code"]

    paid = await bank.post("/bank/pay", json={"billing_code": code})
    assert paid.status_code == 201, paid.text
    body = paid.json()
    ntpn = body["ntpn"]
    assert (body["inquiry"]["amount"], body["inquiry"]["status"], body["receipt"]["ntpn"]) == ("1750000", "active",
                                                                                              ntpn)
    own = (await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp))).json()
    assert (own["status"], own["ntpn"]) == ("paid", ntpn)
    assert await world.scalar("SELECT bank_id FROM payment WHERE ntpn = :n", n=ntpn) == BANK
    [(_, confirmed)] = await world.events("PaymentConfirmed", code=code)
    assert confirmed.bank_reference == body["bank_reference"]  # type: ignore[attr-defined]

    # The bank's retry with its own reference: the same NTPN, nothing paid twice.
    retry = await bank.post("/bank/pay", json={"billing_code": code, "bank_reference": body["bank_reference"]})
    assert (retry.status_code, retry.json()["ntpn"]) == (200, ntpn)
    # A paid code: the inquiry says so, and the bank takes no money.
    again = await bank.post("/bank/pay", json={"billing_code": code})
    assert (again.status_code, again.json()["error"], again.json()["inquiry"]["status"]) == (409, "not_payable",
                                                                                           "paid")
    assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=code) == 1
    listed = (await bank.get("/bank/payments")).json()
    assert [(p["billing_code"], p["ntpn"]) for p in listed] == [(code, ntpn)]


async def test_payment_s_refusals_come_back_with_their_codes(world: World, bank: httpx.AsyncClient) -> None:
    code = (await world.new_code(amount="640000"))["code"]
    wrong = await bank.post("/bank/pay", json={"billing_code": code, "amount": "600000"})
    assert (wrong.status_code, wrong.json()["step"], wrong.json()["error"]["code"]) == (
        422, "confirmation", "confirmation.amount_mismatch")
    unknown = await bank.post("/bank/pay", json={"billing_code": "012345678901234"})
    assert (unknown.status_code, unknown.json()["step"], unknown.json()["error"]["code"]) == (
        404, "inquiry", "billing.not_found")
    expired = (await world.new_code(amount="10000"))["code"]
    await world.backdate(expired)
    refused = await bank.post("/bank/pay", json={"billing_code": expired})
    assert (refused.status_code, refused.json()["inquiry"]["status"]) == (409, "expired")
    assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code IN (:a, :b)", a=code, b=expired) == 0
    assert (await bank.post("/bank/pay", json={"billing_code": code})).status_code == 201


async def test_without_payment_s_address_the_sandbox_has_no_bank() -> None:
    async with api_client(create_app(SandboxSettings(), Store(10))) as http:
        response = await http.post("/bank/pay", json={"billing_code": "012345678901234"})
    assert (response.status_code, response.json()["error"]) == (503, "bank_not_configured")
