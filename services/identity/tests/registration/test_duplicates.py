"""Registering a NIK or passport that already has an account: the anonymous caller is not told at the start (the
answer and the work are those of a new registration); after it has proved its own e-mail and phone it learns only
that it cannot register this document, and the holder is told on their own registered contact (issue 12 item 7)."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client


def comparable(body: dict) -> tuple:  # type: ignore[type-arg]
    return (body["kind"], body["state"], sorted(body), [(o["channel"], o["delivery_state"]) for o in body["otp"]])


async def test_a_registered_passport_is_not_revealed_at_the_start_and_its_holder_is_told(settings, sessions, codes,
                                                                                       flows) -> None:
    async with api_client(create_app(settings)) as http:
        holder = flows.foreigner()
        await flows.register(http, holder)
        impostor = {**flows.foreigner(), "passport_number": holder["passport_number"], "full_name": "Li Na",
                    "birth_date": "1991-02-03"}
        fresh = await http.post("/v1/registrations", json=flows.foreigner())
        taken = await http.post("/v1/registrations", json=impostor)
        assert fresh.status_code == taken.status_code == 202, taken.text
        assert comparable(fresh.json()) == comparable(taken.json())

        rid = taken.json()["registration_id"]
        verified = await http.post(f"/v1/registrations/{rid}/verify", json={
            "email_code": await codes.latest(rid, "email"), "phone_code": await codes.latest(rid, "sms")})
        assert verified.status_code == 409 and verified.json()["code"] == "registration.duplicate"
        # the code that goes with this reset reaches only the holder's registered e-mail
        reset_id = verified.json()["details"]["reset_id"]
        wrong = await http.post(f"/v1/password-resets/{reset_id}/confirm",
                                json={"code": "000000", "new_password": "Impostor123"})
        assert wrong.json()["code"] in {"otp.invalid"}

    async with sessions() as s:
        holder_email = (await s.execute(text(
            "SELECT a.email FROM account a JOIN person p ON p.id = a.person_id WHERE p.passport_number = :p"),
            {"p": holder["passport_number"]})).scalar_one()
        notices = (await s.execute(text(
            "SELECT payload->'data'->>'destination', payload->'data'->>'purpose' FROM outbox "
            "WHERE topic = 'notification.commands' AND created_at > now() - interval '1 minute' "
            "AND payload->'data'->>'destination' = :e"), {"e": holder_email})).all()
        registrations = (await s.execute(text(
            "SELECT count(*) FROM person WHERE passport_number = :p"), {"p": holder["passport_number"]})).scalar_one()
    assert [tuple(n) for n in notices][-1] == (holder_email, "password_reset"), \
        "the holder is told on their registered e-mail, with a code only they receive"
    assert registrations == 1


async def test_a_registered_nik_is_told_only_after_the_caller_proves_its_contacts(settings, sessions, codes,
                                                                                 flows) -> None:
    await flows.clean(flows.resident["nik"])
    async with api_client(create_app(settings)) as http:
        await flows.register(http, flows.resident)
        again = await http.post("/v1/registrations", json={**flows.resident, "email": "other@example.id",
                                                           "phone": "081377788899"})
        assert again.status_code == 202, again.text
        rid = again.json()["registration_id"]
        verified = await http.post(f"/v1/registrations/{rid}/verify", json={
            "email_code": await codes.latest(rid, "email"), "phone_code": await codes.latest(rid, "sms")})
        assert verified.status_code == 409 and verified.json()["code"] == "registration.duplicate"
        # the holder, who forgot they had an account, finishes with the code sent to their registered e-mail
        reset_id = verified.json()["details"]["reset_id"]
        confirmed = await http.post(f"/v1/password-resets/{reset_id}/confirm", json={
            "code": await codes.latest(reset_id, "email"), "new_password": "Rahasia789"})
        assert confirmed.status_code == 204
        assert (await flows.login(http, flows.resident["nik"], "Rahasia789")).status_code == 200
    async with sessions() as s:
        notified = (await s.execute(text(
            "SELECT count(*) FROM outbox WHERE topic = 'notification.commands' AND created_at > now() - "
            "interval '1 minute' AND payload->'data'->>'purpose' = 'password_reset' AND "
            "payload->'data'->>'destination' = (SELECT a.email FROM account a JOIN person p ON p.id = a.person_id "
            "WHERE p.nik = :n)"), {"n": flows.resident["nik"]})).scalar_one()
    assert notified >= 1
