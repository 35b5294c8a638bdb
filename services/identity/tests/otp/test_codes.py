"""One-time codes: single use, bounded attempts, never stored or published in clear; a new code on one channel."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client


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
