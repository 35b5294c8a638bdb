"""Profile updates, contacts confirmed on the new address, refund bank accounts (seeds 5, 7, 9)."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import bearer


async def test_profile_contacts_and_bank_accounts(settings, sessions, codes, flows) -> None:
    person = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        npwp = (await flows.register(http, person))["npwp"]
        token = (await flows.login(http, npwp, person["password"])).json()["access_token"]
        updated = await http.patch(f"/v1/taxpayers/{npwp}/profile", headers=bearer(token),
                                   json={"address": "Jl. Kemang Raya 1, Jakarta"})
        assert updated.json()["address"] == "Jl. Kemang Raya 1, Jakarta"

        change = (await http.post(f"/v1/taxpayers/{npwp}/contact-changes", headers=bearer(token),
                                  json={"email": "New.Address@example.cn"})).json()
        subject = None
        async with sessions() as s:
            subject = (await s.execute(text("SELECT subject_id FROM otp_challenge WHERE destination = :d"),
                                       {"d": "New.Address@example.cn"})).scalar_one()
        confirm = {"channel": "email", "new_value": "New.Address@example.cn"}
        wrong = await http.post(f"/v1/taxpayers/{npwp}/contact-changes/{change['change_id']}/confirm",
                                headers=bearer(token), json={**confirm, "code": "000000"})
        assert wrong.json()["code"] == "otp.invalid"
        ok = await http.post(f"/v1/taxpayers/{npwp}/contact-changes/{change['change_id']}/confirm",
                             headers=bearer(token), json={**confirm, "code": await codes.latest(subject, "email")})
        assert ok.json()["email"] == "New.Address@example.cn"
        me = (await http.get("/v1/me", headers=bearer(token))).json()
        assert me["email"] == "New.Address@example.cn"

        # a new phone number (seed 000 item 4: Coretax's OTP did not arrive when the phone was changed): the code goes
        # by SMS to the new number, and only that code confirms it
        phone_change = (await http.post(f"/v1/taxpayers/{npwp}/contact-changes", headers=bearer(token),
                                        json={"phone": "081377778888"})).json()
        assert phone_change["channel"] == "sms"
        async with sessions() as s:
            sms_subject, destination = (await s.execute(text(
                "SELECT subject_id, destination FROM otp_challenge WHERE channel = 'sms' AND destination LIKE :d "
                "ORDER BY expires_at DESC LIMIT 1"), {"d": "%77778888"})).one()
        assert destination == phone_change["new_value"]
        confirmed = await http.post(f"/v1/taxpayers/{npwp}/contact-changes/{phone_change['change_id']}/confirm",
                                    headers=bearer(token), json={"channel": "sms", "new_value": destination,
                                                                 "code": await codes.latest(sms_subject, "sms")})
        assert confirmed.status_code == 200, confirmed.text
        assert (await http.get("/v1/me", headers=bearer(token))).json()["phone"] == destination

        bank = await http.post(f"/v1/taxpayers/{npwp}/bank-accounts", headers=bearer(token), json={
            "bank_code": "008", "account_number": "1234567890", "account_name": "Zhang Wei", "is_refund_account": True})
        assert bank.status_code == 201
        assert len((await http.get(f"/v1/taxpayers/{npwp}/bank-accounts", headers=bearer(token))).json()) == 1
        other = await http.get("/v1/taxpayers/3171011708450001/bank-accounts", headers=bearer(token))
        assert other.status_code in (403, 404)
    async with sessions() as s:
        changed = (await s.execute(text("SELECT payload->'data'->'changed' FROM outbox WHERE key = :k "
                                        "AND event_type = 'TaxpayerUpdated' ORDER BY seq"), {"k": npwp})).scalars().all()
    assert changed == [["address"], ["email"], ["phone"]]
