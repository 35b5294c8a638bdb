"""Registration by NIK, passport and company record; login, refresh rotation, reuse detection, back-off; password
reset. DJP launch failures covered: seed items 2 (Chinese passports; foreign PIC), 6 and 10 (PIC must match an AHU
officer), 11 and 13 (reset password logs in), 4 (OTP delivery visible, other channel)."""

from __future__ import annotations

from datetime import date, timedelta

import jwt
from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client


async def test_resident_registers_by_nik_then_logs_in_refreshes_and_reuse_revokes(settings, sessions, codes, flows) -> None:
    await flows.clean(flows.resident["nik"])
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, flows.resident)
        assert done["npwp"] == flows.resident["nik"] and done["nitku"] == flows.resident["nik"] + "000000"

        again = await http.post("/v1/registrations", json=flows.resident)
        assert again.status_code == 409 and again.json()["code"] == "registration.duplicate"

        tokens = (await flows.login(http, flows.resident["nik"], flows.resident["password"])).json()
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert claims["tid"] == [flows.resident["nik"]] and claims["name"] == "Budi Santoso"  # the registry's spelling
        assert (await flows.login(http, done["nitku"], flows.resident["password"])).status_code == 200  # NITKU works as login

        first = tokens["refresh_token"]
        rotated = await http.post("/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first})
        assert rotated.status_code == 200
        reuse = await http.post("/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first})
        assert reuse.status_code == 400 and reuse.json()["code"] == "oauth.invalid_grant"
        family_gone = await http.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                                "refresh_token": rotated.json()["refresh_token"]})
        assert family_gone.status_code == 400, "reuse revoked the whole family"


async def test_registry_mismatch_and_bad_input_change_nothing(settings, sessions, flows) -> None:
    async with api_client(create_app(settings)) as http:
        before = await _count(sessions, "registration")
        cases = [
            ({**flows.resident, "nik": "3171011708450002"}, 422, "registration.registry_mismatch"),  # not in Dukcapil
            ({**flows.resident, "full_name": "Someone Else"}, 422, "registration.registry_mismatch"),
            ({**flows.resident, "nik": "9971011708450001"}, 422, "nik.invalid"),
            ({**flows.resident, "phone": "12345"}, 422, "request.invalid"),
            ({**flows.resident, "email": "not-an-email"}, 422, "request.invalid"),
            ({**flows.resident, "nik": "3602041211870001", "full_name": "Dewi Lestari", "birth_date": "1987-11-12",
              "password": "short"}, 422, "password.weak"),
            (flows.foreigner(passport_expiry=str(date.today() - timedelta(days=1))), 422, "registration.passport_expired"),
            (flows.foreigner(passport_country="XXX"), 422, "registration.unknown_country"),
            (flows.foreigner(passport_number="E12/34"), 422, "request.invalid"),
        ]
        for body, status, code in cases:
            response = await http.post("/v1/registrations", json=body)
            assert (response.status_code, response.json()["code"]) == (status, code), body
        assert await _count(sessions, "registration") == before


async def test_chinese_passport_holder_registers_and_gets_an_npwp(settings, codes, flows) -> None:
    async with api_client(create_app(settings)) as http:
        body = flows.foreigner()
        done = await flows.register(http, body)
        assert done["npwp"].startswith("0") and len(done["npwp"]) == 16
        assert (await flows.login(http, done["npwp"], body["password"])).status_code == 200
        duplicate = await http.post("/v1/registrations", json={**body, "email": "other@example.cn"})
        assert duplicate.json()["code"] == "registration.duplicate"


async def test_company_registration_needs_a_pic_who_is_an_ahu_officer(settings, sessions, codes, flows) -> None:
    await flows.clean("3171015708450001")
    async with api_client(create_app(settings)) as http:
        await http.post("/v1/registrations", json={})  # warm-up
        siti = {"kind": "resident", "nik": "3171015708450001", "full_name": "Siti Rahayu", "birth_date": "1945-08-17",
                "email": "siti@example.id", "phone": "081298765432", "password": "Rahasia456"}
        await flows.register(http, siti)
        token = (await flows.login(http, siti["nik"], siti["password"])).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        await _release_company(sessions, "AHU-0012345.AH.01.01.TAHUN2020")

        not_officer = await http.post("/v1/registrations", headers=auth, json={
            "kind": "company", "ahu_number": "AHU-0098765.AH.01.01.TAHUN2019", "email": "pt@example.id",
            "phone": "081355500000"})
        assert not_officer.status_code == 422 and not_officer.json()["code"] == "registration.pic_not_an_officer"
        anonymous = await http.post("/v1/registrations", json={
            "kind": "company", "ahu_number": "AHU-0012345.AH.01.01.TAHUN2020", "email": "pt@example.id",
            "phone": "081355500000"})
        assert anonymous.status_code == 422

        company = await flows.register(http, {"kind": "company", "ahu_number": "AHU-0012345.AH.01.01.TAHUN2020",
                                               "email": "Tax@Nusantara.example", "phone": "081311112222"}, auth)
        # the PIC now acts for the company through token exchange: the token carries `act`
        exchanged = await http.post("/v1/oauth/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "resource": f"urn:lontar:taxpayer:{company['npwp']}"})
        assert exchanged.status_code == 200, exchanged.text
        claims = jwt.decode(exchanged.json()["access_token"], options={"verify_signature": False})
        assert claims["sub"] == company["npwp"] and claims["tid"] == [company["npwp"]]
        assert claims["act"]["name"] == "Siti Rahayu" and claims["roles"] == {company["npwp"]: ["pic"]}
        assert "invoice:sign" in claims["scope"].split()

        stranger = await http.post("/v1/oauth/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "resource": "urn:lontar:taxpayer:0013121660091000"})
        assert stranger.status_code == 403 and stranger.json()["code"] == "auth.not_a_representative"


async def test_failed_logins_back_off_per_address_and_never_forever(settings, sessions, codes, flows) -> None:
    body = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, body)
        for _ in range(settings.login.free_failures):
            assert (await flows.login(http, done["npwp"], "Wrong-pass1")).json()["code"] == "oauth.invalid_grant"
        throttled = await flows.login(http, done["npwp"], body["password"])
        assert throttled.status_code == 429 and throttled.json()["code"] == "auth.login_throttled"
        assert int(throttled.headers["retry-after"]) >= 1
        unknown = await flows.login(http, "0019999999999999", "whatever1A")
        assert unknown.json()["code"] == "oauth.invalid_grant"  # same answer as a wrong password
    async with sessions() as s:
        blocked = (await s.execute(text("SELECT blocked_until - now() FROM login_throttle WHERE login = :l"),
                                   {"l": done["npwp"]})).scalar_one()
    assert blocked.total_seconds() <= settings.login.max_backoff_s


async def test_password_reset_answers_alike_and_the_new_password_logs_in(settings, codes, flows) -> None:
    body = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, body)
        session = (await flows.login(http, done["npwp"], body["password"])).json()

        unknown = await http.post("/v1/password-resets", json={"login": "0019999999999999", "channel": "email"})
        known = await http.post("/v1/password-resets", json={"login": done["npwp"], "channel": "email"})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json().keys() == known.json().keys() and unknown.json()["message"] == known.json()["message"]
        bogus = await http.post(f"/v1/password-resets/{unknown.json()['reset_id']}/confirm",
                                json={"code": "123456", "new_password": "NewPassw0rd"})
        assert bogus.json()["code"] == "otp.invalid"

        reset_id = known.json()["reset_id"]
        wrong = await http.post(f"/v1/password-resets/{reset_id}/confirm",
                                json={"code": "000000", "new_password": "NewPassw0rd"})
        assert wrong.json()["code"] == "otp.invalid"
        code = await codes.latest(reset_id, "email")
        ok = await http.post(f"/v1/password-resets/{reset_id}/confirm", json={"code": code,
                                                                              "new_password": "NewPassw0rd"})
        assert ok.status_code == 204
        replay = await http.post(f"/v1/password-resets/{reset_id}/confirm", json={"code": code,
                                                                                  "new_password": "NewPassw0rd2"})
        assert replay.status_code == 404

        assert (await flows.login(http, done["npwp"], "NewPassw0rd")).status_code == 200
        assert (await flows.login(http, done["npwp"], body["password"])).status_code == 400
        old_refresh = await http.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                                "refresh_token": session["refresh_token"]})
        assert old_refresh.status_code == 400, "sessions from before the reset are revoked"


async def test_otp_codes_are_single_use_bounded_and_never_stored_in_clear(settings, sessions, codes, flows) -> None:
    async with api_client(create_app(settings)) as http:
        started = (await http.post("/v1/registrations", json=flows.foreigner())).json()
        rid = started["registration_id"]
        email_code, sms_code = await codes.latest(rid, "email"), await codes.latest(rid, "sms")
        for _ in range(settings.otp.max_attempts - 1):
            wrong = await http.post(f"/v1/registrations/{rid}/verify", json={"email_code": "000000",
                                                                            "phone_code": sms_code})
            assert wrong.json()["code"] == "otp.invalid"
        locked = await http.post(f"/v1/registrations/{rid}/verify", json={"email_code": "000000",
                                                                         "phone_code": sms_code})
        assert locked.json()["code"] == "otp.too_many_attempts"
        too_late = await http.post(f"/v1/registrations/{rid}/verify", json={"email_code": email_code,
                                                                            "phone_code": sms_code})
        assert too_late.json()["code"] == "otp.too_many_attempts"

        fresh = await http.post(f"/v1/registrations/{rid}/otp", json={"channel": "email"})
        assert fresh.status_code == 202
        status = (await http.get(f"/v1/registrations/{rid}")).json()
        assert {o["channel"] for o in status["otp"]} == {"email", "sms"}
        assert all("*" in o["destination"] for o in status["otp"])
    async with sessions() as s:
        rows = (await s.execute(text("SELECT row_to_json(o)::text FROM otp_challenge o WHERE subject_id = :r"),
                                {"r": rid})).scalars().all()
        outbox = (await s.execute(text("SELECT payload::text FROM outbox WHERE key = :r"), {"r": rid})).scalars().all()
    assert rows and not any(email_code in r or sms_code in r for r in rows + outbox)


async def _count(sessions, table: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int((await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def _release_company(sessions, ahu: str) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE taxpayer SET ahu_number = NULL WHERE ahu_number = :a"), {"a": ahu})
