"""Password guessing is slowed per (login, address) and per login from every address, without letting anyone lock a
taxpayer out; the address is the TCP peer unless the peer is a configured proxy (issue 12 item 9)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path

import httpx
from sqlalchemy import text

from devstack.stack import api_command
from identity.main import create_app
from identity.settings import IdentitySettings
from kit.testing.service import api_client, free_port


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def unknown_login() -> str:
    return "00" + f"{secrets.randbelow(10**14):014d}"


async def login_via(http: httpx.AsyncClient, forwarded_for: str, username: str, password: str) -> httpx.Response:
    return await http.post("/v1/oauth/token", headers={"x-forwarded-for": forwarded_for},
                           data={"grant_type": "password", "username": username, "password": password})


def behind_local_proxy(settings: IdentitySettings) -> IdentitySettings:
    """Settings that trust the loopback peer as a proxy (in-process tests reach the app from 127.0.0.1)."""
    return settings.model_copy(update={"http": settings.http.model_copy(
        update={"trusted_proxies": [ip_network("127.0.0.1/32")]})})


@contextlib.contextmanager
def identity_server(settings: IdentitySettings, log: Path) -> Iterator[str]:
    """identity's API in its own process, started with the command the local stack uses (`make run`)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")} | {
        "IDENTITY_DATABASE__DSN": settings.database.url, "IDENTITY_DATABASE__POOL_SIZE": "2",
        "IDENTITY_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "IDENTITY_KAFKA__ENABLE_IDEMPOTENCE": "false",
        "IDENTITY_TOKENS__SIGNING_KEY": settings.tokens.signing_key.get_secret_value(),  # type: ignore[union-attr]
        "IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY": settings.otp.notification_public_key or "",
        "IDENTITY_LOGIN__ARGON2_MEMORY_KIB": "1024", "IDENTITY_LOGIN__ARGON2_TIME_COST": "1",
        "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(api_command("identity", "127.0.0.1", port), env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_rotating_x_forwarded_for_from_an_untrusted_peer_stays_under_the_address_limit(
        settings, sessions, codes, flows, tmp_path) -> None:
    body = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        npwp = (await flows.register(http, body))["npwp"]
    with identity_server(settings, tmp_path / "identity.log") as base:
        async with httpx.AsyncClient(base_url=base) as http:
            # past the free failures, each attempt is refused or doubles the wait: the last one cannot get through
            for i in range(settings.login.free_failures + 4):
                wrong = await login_via(http, f"203.0.113.{i + 1}", npwp, "Wrong-pass1")
                status = wrong.status_code
                assert status == 400 if i < settings.login.free_failures else status in {400, 429}, wrong.text
            right = await login_via(http, "203.0.113.200", npwp, body["password"])
            assert right.status_code == 429 and right.json()["code"] == "auth.login_throttled", right.text
    async with sessions() as s:
        ips = set((await s.execute(text("SELECT DISTINCT ip FROM audit_event WHERE action = 'login_failed' "
                                        "AND details->>'login' = :l AND at > now() - interval '1 minute'"),
                                   {"l": npwp[:4] + "****"})).scalars())
    assert "127.0.0.1" in ips and not any(ip.startswith("203.0.113.") for ip in ips)


async def test_a_trusted_proxys_forwarded_address_is_honoured(settings, sessions, codes, flows) -> None:
    body = flows.foreigner()
    async with api_client(create_app(behind_local_proxy(settings))) as http:
        npwp = (await flows.register(http, body))["npwp"]
        guesser, owner = random_ip(), random_ip()
        for i in range(settings.login.free_failures + 4):  # as above: the wait only grows
            status = (await login_via(http, f"{guesser}, 127.0.0.1", npwp, "Wrong-pass1")).status_code
            assert status == 400 if i < settings.login.free_failures else status in {400, 429}
        assert (await login_via(http, guesser, npwp, body["password"])).status_code == 429
        ok = await login_via(http, f"198.51.100.7, {owner}", npwp, body["password"])  # left of the proxy: ignored
        assert ok.status_code == 200, ok.text
    async with sessions() as s:
        ip = (await s.execute(text("SELECT ip FROM audit_event WHERE action = 'login' AND actor_id = "
                                   "(SELECT a.id::text FROM account a JOIN person p ON p.id = a.person_id "
                                   "WHERE p.passport_number = :p) ORDER BY at DESC LIMIT 1"),
                              {"p": body["passport_number"]})).scalar_one()
    assert ip == owner


async def test_guessing_one_login_from_many_addresses_is_slowed_alike_for_real_and_unknown_logins_and_released(
        settings, sessions, codes, flows) -> None:
    n = settings.login.account_free_failures
    body = flows.foreigner()
    async with api_client(create_app(behind_local_proxy(settings))) as http:
        npwp = (await flows.register(http, body))["npwp"]
        home = random_ip()
        assert (await login_via(http, home, npwp, body["password"])).status_code == 200  # the owner's usual address

        sequences = {}
        for login in (npwp, unknown_login()):
            answers = [await login_via(http, random_ip(), login, "Wrong-pass1") for _ in range(n)]
            answers.append(await login_via(http, random_ip(), login, body["password"]))  # even the right password
            sequences[login] = [(a.status_code, a.json()["code"]) for a in answers]
        assert sequences[npwp] == list(sequences.values())[1] == \
            [(400, "oauth.invalid_grant")] * n + [(429, "auth.login_throttled")]

        # the owner, from an address they have logged in from before, is not held up by strangers' guesses
        assert (await login_via(http, home, npwp, body["password"])).status_code == 200
        # a successful login resets the count: strangers start again from zero, and the wait is bounded
        for _ in range(n + 3):
            await login_via(http, random_ip(), npwp, "Wrong-pass1")
        async with sessions() as s:
            wait = (await s.execute(text("SELECT blocked_until - now() FROM login_backoff WHERE login = :l"),
                                    {"l": npwp})).scalar_one()
        assert 0 < wait.total_seconds() <= settings.login.account_max_backoff_s
        assert (await login_via(http, random_ip(), npwp, body["password"])).status_code == 429

        # when the wait is over (moved here instead of waiting), the right password from anywhere works again
        async with sessions() as s, s.begin():
            await s.execute(text("UPDATE login_backoff SET blocked_until = now() - interval '1 second' "
                                 "WHERE login = :l"), {"l": npwp})
        assert (await login_via(http, random_ip(), npwp, body["password"])).status_code == 200
        assert (await login_via(http, random_ip(), npwp, "Wrong-pass1")).status_code == 400  # count restarted


async def test_the_owner_gets_in_through_a_password_reset_while_strangers_keep_guessing(settings, codes,
                                                                                       flows) -> None:
    body = flows.foreigner()
    async with api_client(create_app(behind_local_proxy(settings))) as http:
        npwp = (await flows.register(http, body))["npwp"]
        for _ in range(settings.login.account_free_failures + 2):
            await login_via(http, random_ip(), npwp, "Wrong-pass1")
        owner = random_ip()
        assert (await login_via(http, owner, npwp, body["password"])).status_code == 429

        reset_id = (await http.post("/v1/password-resets", headers={"x-forwarded-for": owner},
                                    json={"login": npwp, "channel": "sms"})).json()["reset_id"]
        confirmed = await http.post(f"/v1/password-resets/{reset_id}/confirm", headers={"x-forwarded-for": owner},
                                    json={"code": await codes.latest(reset_id, "sms"), "new_password": "NewPassw0rd"})
        assert confirmed.status_code == 204
        for _ in range(settings.login.account_free_failures + 2):  # the guessing goes on
            await login_via(http, random_ip(), npwp, "Wrong-pass1")
        assert (await login_via(http, owner, npwp, "NewPassw0rd")).status_code == 200
