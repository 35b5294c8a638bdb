"""Password reset never tells whether a login exists: the same answers, the same limits and the same work for a
registered login and an unknown one (issue 12 item 7; OWASP ASVS 5.0 V6.3.8, NIST SP 800-63B)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import http_from


def unknown_login() -> str:
    return "00" + f"{secrets.randbelow(10**14):014d}"


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def shape(response: Any) -> tuple[Any, ...]:
    """What a caller can compare between two answers (not the ids, paths or correlation ids)."""
    body = response.json()
    return (response.status_code, body.get("code"), body.get("title"), body.get("detail"), body.get("details"),
            sorted(body), response.headers.get("retry-after"))


async def test_wrong_reset_codes_answer_alike_until_the_lock(settings, codes, flows) -> None:
    body = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, body)
        answers = {}
        for login in (done["npwp"], unknown_login()):
            reset_id = (await http.post("/v1/password-resets", json={"login": login, "channel": "email"})
                        ).json()["reset_id"]
            wrong = "000000"
            if login == done["npwp"]:
                code = await codes.latest(reset_id, "email")
                wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
            answers[login] = [shape(await http.post(f"/v1/password-resets/{reset_id}/confirm",
                                                    json={"code": wrong, "new_password": "NewPassw0rd"}))
                              for _ in range(settings.otp.max_attempts + 1)]
        real, unknown = answers.values()
        assert real == unknown
        assert [a[1] for a in real] == ["otp.invalid"] * (settings.otp.max_attempts - 1) + \
            ["otp.too_many_attempts"] * 2


async def test_reset_requests_answer_the_same_sequence_for_real_and_unknown_logins(settings, sessions, codes,
                                                                                  flows) -> None:
    body = flows.foreigner()
    app = create_app(settings)
    async with api_client(app) as http:
        done = await flows.register(http, body)
        sequences = {}
        for login in (done["npwp"], unknown_login()):
            async with http_from(app, random_ip()) as caller:
                sequences[login] = [shape(await caller.post("/v1/password-resets", json={"login": login,
                                                                                          "channel": "email"}))
                                    for _ in range(6)]
        real, unknown = sequences.values()
        assert real == unknown and {s[0] for s in real} == {202}
    # more requests than the destination may get in an hour: the rest are answered alike and not sent
    async with sessions() as s:
        sent = (await s.execute(text(
            "SELECT count(*) FROM outbox WHERE topic = 'notification.commands' AND created_at > now() - "
            "interval '1 hour' AND payload->'data'->>'destination' = (SELECT a.email FROM account a JOIN person p ON "
            "p.id = a.person_id WHERE p.passport_number = :p)"), {"p": body["passport_number"]})).scalar_one()
    assert sent == settings.otp.per_destination_per_hour


async def test_the_per_address_limit_counts_real_and_unknown_logins_alike(settings, flows, codes) -> None:
    tight = settings.model_copy(update={"otp": settings.otp.model_copy(update={"per_ip_per_hour": 3})})
    body = flows.foreigner()
    app = create_app(tight)
    async with api_client(app):
        async with http_from(app, random_ip()) as registrant:
            done = await flows.register(registrant, body)
        sequences = {}
        for login in (done["npwp"], unknown_login()):
            async with http_from(app, random_ip()) as caller:
                sequences[login] = [(await caller.post("/v1/password-resets", json={"login": login,
                                                                                    "channel": "email"})).status_code
                                    for _ in range(6)]
        assert sequences[done["npwp"]] == list(sequences.values())[1] == [202, 202, 202, 429, 429, 429]


async def test_an_unknown_login_costs_the_same_work_as_a_real_one(settings, sessions, codes, flows) -> None:
    """The timing is equalised by doing the same work, not by sleeping: each request keeps a reset and a code
    challenge (a decoy for an unknown login, whose code exists nowhere), and each wrong code is counted the same."""
    body = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        done = await flows.register(http, body)
        resets = {}
        for login in (done["npwp"], unknown_login()):
            reset_id = (await http.post("/v1/password-resets", json={"login": login, "channel": "sms"})
                        ).json()["reset_id"]
            await http.post(f"/v1/password-resets/{reset_id}/confirm",
                            json={"code": "000000" if login != done["npwp"] else
                                  _wrong(await codes.latest(reset_id, "sms")), "new_password": "NewPassw0rd"})
            resets[login] = reset_id
    async with sessions() as s:
        rows = {login: (await s.execute(text(
            "SELECT count(*), sum(attempts) FROM otp_challenge WHERE subject_id = :r"), {"r": rid})).one()
            for login, rid in resets.items()}
        audits = {login: sorted((await s.execute(text(
            "SELECT action FROM audit_event WHERE details->>'challenge_id' IN (SELECT id::text FROM otp_challenge "
            "WHERE subject_id = :r)"), {"r": rid})).scalars()) for login, rid in resets.items()}
    assert all(tuple(r) == (1, 1) for r in rows.values()), rows
    real, unknown = audits.values()
    assert real == unknown


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)
