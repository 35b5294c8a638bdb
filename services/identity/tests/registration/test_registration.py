"""Registration by NIK, passport and company record (then login, refresh rotation and reuse detection for the
resident). DJP launch failures covered: seed items 2 (Chinese passports; foreign PIC), 6 and 10 (PIC must match an
AHU officer)."""

from __future__ import annotations

from datetime import date, timedelta

import jwt
from sqlalchemy import select, text

from contracts.identity import TaxpayerRegistered
from identity.main import create_app
from identity.models import Taxpayer
from kit.testing.events import outbox_events
from kit.testing.service import api_client


async def test_resident_registers_by_nik_then_logs_in_refreshes_and_reuse_revokes(settings, sessions, codes, flows) -> None:
    await flows.clean(flows.resident["nik"])
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, flows.resident)
        assert done["npwp"] == flows.resident["nik"] and done["nitku"] == flows.resident["nik"] + "000000"

        again = await http.post("/v1/registrations", json=flows.resident)
        assert again.status_code == 202, "not revealed at the start (tests/registration/test_duplicates.py)"

        tokens = (await flows.login(http, flows.resident["nik"], flows.resident["password"])).json()
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert claims["tid"] == [flows.resident["nik"]] and claims["name"] == "Budi Santoso"  # the registry's spelling
        assert (await flows.login(http, done["nitku"], flows.resident["password"])).status_code == 200  # NITKU works as login

        first = tokens["refresh_token"]
        rotated = await http.post("/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first})
        assert rotated.status_code == 200
        # `sid` names the login session (a signing session is bound to it): the same across refreshes, new per login
        refreshed = jwt.decode(rotated.json()["access_token"], options={"verify_signature": False})
        again_login = (await flows.login(http, flows.resident["nik"], flows.resident["password"])).json()
        other = jwt.decode(again_login["access_token"], options={"verify_signature": False})
        assert claims["sid"] == refreshed["sid"] != other["sid"]
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
        assert duplicate.status_code == 202  # told after the caller's codes (tests/registration/test_duplicates.py)


async def test_the_registration_event_carries_the_verified_contacts(settings, sessions, codes, flows) -> None:
    """notification e-mails the registration notice from TaxpayerRegistered alone: it must carry the contacts."""
    async with api_client(create_app(settings)) as http:
        body = flows.foreigner()
        done = await flows.register(http, body)
    async with sessions() as s:
        taxpayer = (await s.execute(select(Taxpayer).where(Taxpayer.npwp == done["npwp"]))).scalar_one()
        [event] = [e for key, e in await outbox_events(s, event_type="TaxpayerRegistered") if key == done["npwp"]]
    assert isinstance(event, TaxpayerRegistered)
    assert taxpayer.email == body["email"] and taxpayer.phone
    assert (event.email, event.phone) == (taxpayer.email, taxpayer.phone)


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
        assert claims["sid"] == jwt.decode(token, options={"verify_signature": False})["sid"]  # the PIC's own login
        assert "invoice:sign" in claims["scope"].split()

        stranger = await http.post("/v1/oauth/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "resource": "urn:lontar:taxpayer:0013121660091000"})
        assert stranger.status_code == 403 and stranger.json()["code"] == "auth.not_a_representative"

        # whether a company is registered is told only to one of its officers
        outsider = flows.foreigner()
        registered = await flows.register(http, outsider)
        outsider_token = (await flows.login(http, registered["npwp"], outsider["password"])).json()["access_token"]
        taken = await http.post("/v1/registrations", headers={"authorization": f"Bearer {outsider_token}"}, json={
            "kind": "company", "ahu_number": "AHU-0012345.AH.01.01.TAHUN2020", "email": "pt@example.id",
            "phone": "081355500000"})
        assert taken.status_code == 422 and taken.json()["code"] == "registration.pic_not_an_officer"


async def _count(sessions, table: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int((await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def _release_company(sessions, ahu: str) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE taxpayer SET ahu_number = NULL WHERE ahu_number = :a"), {"a": ahu})
