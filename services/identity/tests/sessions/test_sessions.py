"""Login back-off and password reset. DJP launch failures covered: seed items 11 and 13 (a reset password logs
in)."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client


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
