"""A password login reads everything it is decided on in one statement and writes in one (after the login's lock),
with the same rows, answers and token as before (issue 15 item 7: the non-hash cost of a login)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from identity.main import create_app
from identity.models import RoleGrant
from identity.sessions.rules import person_scopes
from kit.testing.service import api_client
from services.identity.tests.factories import claims, make_account, make_person, make_taxpayer, save

PASSWORD = "Rahasia#2026x"


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split())[:40])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_a_login_is_one_read_and_one_write_and_the_token_has_the_persons_taxpayer_and_roles(
        settings, sessions) -> None:
    hasher = PasswordHasher(time_cost=settings.login.argon2_time_cost, memory_cost=settings.login.argon2_memory_kib)
    async with sessions() as s, s.begin():
        person = await make_person(s)
        account = await make_account(s, person, password_hash=hasher.hash(PASSWORD))
        own = await make_taxpayer(s, kind="individual", person_id=person.id)
        employer, former = await make_taxpayer(s), await make_taxpayer(s)
        await save(s, RoleGrant(taxpayer_id=employer.id, person_id=person.id, role="signer"),
                   RoleGrant(taxpayer_id=employer.id, person_id=person.id, role="drafter"),
                   RoleGrant(taxpayer_id=former.id, person_id=person.id, role="pic", revoked_at=text("now()")))
    app = create_app(settings)
    async with api_client(app) as http:
        engine = app.state.lontar.engine

        def login(password: str):  # type: ignore[no-untyped-def]
            return http.post("/v1/oauth/token", data={"grant_type": "password", "username": own.nitku,
                                                      "password": password})

        with statements(engine) as failed:
            wrong = [await login("Wrong-pass1") for _ in range(2)]
        assert [w.json()["code"] for w in wrong] == ["oauth.invalid_grant"] * 2
        assert [sql.split()[0] for sql in failed] == ["SELECT", "SELECT", "WITH"] * 2  # lock, read, write
        async with sessions() as s:
            throttle = (await s.execute(text("SELECT failures, blocked_until FROM login_throttle "
                                             "WHERE login = :l AND ip = '127.0.0.1'"), {"l": own.nitku})).one()
            backoff = (await s.execute(text("SELECT failures, last_failure_at > now() - interval '1 minute' "
                                            "FROM login_backoff WHERE login = :l"), {"l": own.npwp})).one()
            audited = (await s.execute(text("SELECT count(*) FROM audit_event WHERE action = 'login_failed' "
                                            "AND actor_id = :a AND details = jsonb_build_object('login', CAST(:m AS text))"),
                                       {"a": str(account.id), "m": own.nitku[:4] + "****"})).scalar_one()
        assert tuple(throttle) == (2, None) and tuple(backoff) == (2, True) and audited == 2  # a NITKU counts as its NPWP

        with statements(engine) as succeeded:
            ok = await login(PASSWORD)
        assert ok.status_code == 200, ok.text
        assert [sql.split()[0] for sql in succeeded] == ["SELECT", "SELECT", "WITH"]
    token = claims(ok.json()["access_token"])
    assert token["sub"] == str(account.id) and token["tid"] == [own.npwp] and token["name"] == person.full_name
    assert {npwp: sorted(roles) for npwp, roles in token["roles"].items()} == {employer.npwp: ["drafter", "signer"]}
    assert token["scope"] == ok.json()["scope"] == " ".join(sorted(person_scopes(own.npwp)))
    async with sessions() as s:
        refresh = (await s.execute(text("SELECT family_id::text, scope, expires_at > now() FROM refresh_token "
                                        "WHERE account_id = :a"), {"a": account.id})).one()
        rows = (await s.execute(text(
            "SELECT (SELECT count(*) FROM login_throttle WHERE login = :nitku),"
            " (SELECT count(*) FROM login_backoff WHERE login = :npwp),"
            " (SELECT count(*) FROM known_address WHERE account_id = :a AND ip = '127.0.0.1'),"
            " (SELECT count(*) FROM audit_event WHERE action = 'login' AND actor_id = CAST(:a AS text) AND ip = '127.0.0.1')"),
            {"nitku": own.nitku, "npwp": own.npwp, "a": account.id})).one()
    assert tuple(refresh) == (token["sid"], " ".join(person_scopes(own.npwp)), True)
    assert tuple(rows) == (0, 0, 1, 1)  # a success forgets both back-offs and makes the address known


async def test_a_throttled_attempt_reads_and_writes_nothing_more(settings, sessions) -> None:
    async with sessions() as s, s.begin():
        await s.execute(text("INSERT INTO login_throttle (login, ip, failures, blocked_until) "
                             "VALUES ('0099000000000001', '127.0.0.1', 9, now() + interval '1 minute')"))
    app = create_app(settings)
    async with api_client(app) as http:
        with statements(app.state.lontar.engine) as seen:
            answer = await http.post("/v1/oauth/token", data={"grant_type": "password",
                                                              "username": "0099000000000001", "password": "x"})
    assert answer.status_code == 429 and 1 <= int(answer.headers["retry-after"]) <= 61
    assert [sql.split()[0] for sql in seen] == ["SELECT", "SELECT"]  # the lock and the read; rolled back
    async with sessions() as s:
        assert (await s.execute(text("SELECT failures FROM login_throttle WHERE login = '0099000000000001'"))
                ).scalar_one() == 9
        await s.execute(text("DELETE FROM login_throttle WHERE login = '0099000000000001'"))
        await s.commit()
