"""Registration verification either succeeds whole or spends only the attempt that was wrong: a typo in one code
never burns the other, right one (issue 12 item 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client


def typo(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.mark.parametrize("wrong", ["sms", "email"])
async def test_a_typo_in_one_code_keeps_the_other_right_code_usable(settings, sessions, codes, flows,
                                                                    wrong: str) -> None:
    async with api_client(create_app(settings)) as http:
        rid = (await http.post("/v1/registrations", json=flows.foreigner())).json()["registration_id"]
        right = {"email": await codes.latest(rid, "email"), "sms": await codes.latest(rid, "sms")}
        mistyped = {**right, wrong: typo(right[wrong])}

        answer = await http.post(f"/v1/registrations/{rid}/verify",
                                 json={"email_code": mistyped["email"], "phone_code": mistyped["sms"]})
        assert answer.status_code == 422 and answer.json()["code"] == "otp.invalid"
        assert answer.json()["details"]["channel"] == wrong
        assert await _attempts(sessions, rid) == {wrong: 1, ({"sms", "email"} - {wrong}).pop(): 0}, \
            "only the wrong channel's attempt is counted"

        done = await http.post(f"/v1/registrations/{rid}/verify",
                               json={"email_code": right["email"], "phone_code": right["sms"]})
        assert done.status_code == 201, done.text


async def test_both_codes_wrong_counts_an_attempt_on_each(settings, sessions, codes, flows) -> None:
    async with api_client(create_app(settings)) as http:
        rid = (await http.post("/v1/registrations", json=flows.foreigner())).json()["registration_id"]
        right = {"email": await codes.latest(rid, "email"), "sms": await codes.latest(rid, "sms")}
        answer = await http.post(f"/v1/registrations/{rid}/verify",
                                 json={"email_code": typo(right["email"]), "phone_code": typo(right["sms"])})
        assert answer.json()["code"] == "otp.invalid"
        assert await _attempts(sessions, rid) == {"email": 1, "sms": 1}
        done = await http.post(f"/v1/registrations/{rid}/verify",
                               json={"email_code": right["email"], "phone_code": right["sms"]})
        assert done.status_code == 201, done.text


async def _attempts(sessions, registration_id: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        rows = (await s.execute(text("SELECT channel, attempts FROM otp_challenge WHERE subject_id = :r "
                                     "AND superseded_at IS NULL"), {"r": registration_id})).all()
    return {channel: attempts for channel, attempts in rows}
