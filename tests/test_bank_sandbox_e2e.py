"""The README's walk-through on the whole stack as `make run` starts it: a resident registers (OTP codes read from the
SMS and e-mail sandboxes), logs in, creates a billing code at payment, pays it at the bank sandbox, whose client
the stack registered at identity (kind `bank`, scope `payment:bank`, token by client credentials), and reads the
NTPN and the ledger."""

from __future__ import annotations

import re
from typing import Any

import httpx

from devstack.stack import Stack
from kit.testing.messaging import eventually

RESIDENT = {"kind": "resident", "nik": "3578080102030001", "full_name": "Andi Wijaya", "birth_date": "2003-02-01",
            "email": "andi.bank@example.id", "phone": "081298765432", "password": "Rahasia123"}
CODE = re.compile(r"\b(\d{6})\b")


async def otp(http: httpx.AsyncClient, stack: Stack, to: str) -> str:
    found: dict[str, str] = {}

    async def arrived() -> bool:
        messages = (await http.get(f"{stack.config.sandbox_url}/messages", params={"to": to})).json()
        codes = [m[1] for m in (CODE.search(x["body"] or "") for x in messages) if m]
        if codes:
            found["code"] = codes[0]
        return bool(codes)

    await eventually(arrived, 60, f"the OTP for {to}")
    return found["code"]


async def test_a_person_pays_a_billing_code_at_the_bank_sandbox(stack: Stack) -> None:
    identity, payment = stack.config.api_url("identity"), stack.config.api_url("payment")
    async with httpx.AsyncClient(timeout=20) as http:
        started = await http.post(f"{identity}/v1/registrations", json=RESIDENT)
        assert started.status_code in (201, 202), started.text
        registration = started.json()["registration_id"]
        codes = {"email_code": await otp(http, stack, RESIDENT["email"]),
                 "phone_code": await otp(http, stack, "+62" + RESIDENT["phone"][1:])}
        verified = await http.post(f"{identity}/v1/registrations/{registration}/verify", json=codes)
        assert verified.status_code == 201, verified.text
        npwp = verified.json()["npwp"]
        login = await http.post(f"{identity}/v1/oauth/token", data={
            "grant_type": "password", "username": RESIDENT["nik"], "password": RESIDENT["password"]})
        assert login.status_code == 200, login.text
        me = {"authorization": f"Bearer {login.json()['access_token']}"}

        created = await http.post(f"{payment}/v1/billing-codes", headers=me, json={
            "kap_kjs": "411125-100", "period": "2026-11", "amount": "250000"})
        assert created.status_code == 201, created.text
        code = created.json()["code"]

        paid = await http.post(f"{stack.config.sandbox_url}/bank/pay", json={"billing_code": code})
        assert paid.status_code == 201, paid.text
        receipt: dict[str, Any] = paid.json()
        assert receipt["inquiry"]["taxpayer_name"] in (None, "Andi Wijaya")  # the replica may lag the registration

        read = (await http.get(f"{payment}/v1/billing-codes/{code}", headers=me)).json()
        assert (read["status"], read["ntpn"]) == ("paid", receipt["ntpn"])
        ledger = (await http.get(f"{payment}/v1/ledger", headers=me)).json()
        assert (ledger["npwp"], ledger["owed"]) == (npwp, "0")
        assert [(i["kap_kjs"], i["period"], i["payments"]) for i in ledger["items"]] == [
            ("411125-100", "2026-11", "250000")]
        bank_id = (await http.get(f"{stack.config.sandbox_url}/bank/payments")).json()[0]["ntpn"]
        assert bank_id == receipt["ntpn"]
