"""Signing sessions (issue 13, performance): one passphrase check opens a short session bound to the holder's login
session; batches are then signed without the passphrase (no scrypt) within a budget, until it expires or is closed,
or the credential is revoked or locked. Expiry is tested with a backdated row, never by waiting."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import jwt

from identity.credentials.keystore import verify_digest

LOGIN_A, LOGIN_B = "login-session-a", "login-session-b"


def headers_of(world: Any, who: Any, sid: str | None = LOGIN_A) -> dict[str, str]:
    """The holder's own token, from the login session `sid` (None: a token without `sid`)."""
    return world.token(str(who.account_id), **({"sid": sid} if sid else {}))  # type: ignore[no-any-return]


async def open_session(world: Any, who: Any, credential_id: str, *, sid: str | None = LOGIN_A,
                       passphrase: str | None = None, **terms: Any) -> httpx.Response:
    return await world.http.post(  # type: ignore[no-any-return]
        f"/v1/signing-credentials/{credential_id}/sessions",
        json={"passphrase": passphrase or world.passphrase, **terms}, headers=headers_of(world, who, sid))


async def opened(world: Any, who: Any, credential_id: str, **kwargs: Any) -> dict[str, Any]:
    response = await open_session(world, who, credential_id, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def sign_in(world: Any, session: dict[str, Any], values: list[str], *, device: str = LOGIN_A,
                  secret: str | None = None, **extra: Any) -> httpx.Response:
    body = {"credential_id": session["credential_id"], "digests": values,
            "signing_session": {"id": session["session_id"], "secret": secret or session["session_secret"],
                                "device": device}, **extra}
    return await world.http.post(  # type: ignore[no-any-return]
        "/internal/v1/signatures", json=body, headers=world.signer())


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_one_passphrase_check_then_batches_without_it(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    response = await open_session(world, ani, credential["id"])
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    session = response.json()
    assert session["credential_id"] == credential["id"] and session["max_signatures"] == 10_000
    assert len(base64.urlsafe_b64decode(session["session_secret"] + "=")) == 32

    public = world.certificate(credential["certificate_pem"]).public_key()
    for size in (10, 1, 100):
        values = world.digests(size)
        signed = await sign_in(world, session, world.b64(values), account_id=str(ani.account_id),
                               acting_for="0123456789012345")
        assert signed.status_code == 200, signed.text
        assert signed.json()["certificate_serial"] == credential["serial_number"]
        for signature, digest in zip(signed.json()["signatures"], values, strict=True):
            verify_digest(public, base64.b64decode(signature), digest)

    row = await world.scalar("SELECT row_to_json(s) FROM signing_session s WHERE id = :s", s=session["session_id"])
    assert row["signatures_used"] == 111 and row["device"] == LOGIN_A and row["device_claim"] == "sid"
    assert session["session_secret"] not in str(row)  # only what opens with it is stored
    assert await world.scalar("SELECT signature_count FROM signing_credential WHERE id = :c",
                              c=credential["id"]) == 111
    audited = await world.scalar(
        "SELECT array_agg((details->>'digest_count')::int ORDER BY at) FROM audit_event "
        "WHERE action = 'signature_created' AND details->>'signing_session_id' = :s "
        "AND acting_for = '0123456789012345'", s=session["session_id"])
    assert audited == [10, 1, 100]
    assert await world.scalar("SELECT count(*) FROM audit_event WHERE action = 'signing_session_opened' "
                              "AND details->>'signing_session_id' = :s", s=session["session_id"]) == 1
    # the passphrase still works on its own
    assert (await world.sign(credential["id"], world.b64(world.digests(1)))).status_code == 200


async def test_exactly_one_of_passphrase_and_session_and_a_wrong_secret_signs_nothing(world: Any) -> None:
    ani, budi = await world.person(), await world.person()
    credential, other = await world.issue(ani), await world.issue(budi)
    session = await opened(world, ani, credential["id"])
    values = world.b64(world.digests(2))

    both = await world.sign(credential["id"], values, signing_session={
        "id": session["session_id"], "secret": session["session_secret"], "device": LOGIN_A})
    problem(both, 422, "signature.passphrase_or_session")
    neither = await world.http.post("/internal/v1/signatures", headers=world.signer(),
                                    json={"credential_id": credential["id"], "digests": values})
    problem(neither, 422, "signature.passphrase_or_session")

    wrong = base64.urlsafe_b64encode(b"\x01" * 32).rstrip(b"=").decode()
    problem(await sign_in(world, session, values, secret=wrong), 403, "signing_session.invalid")
    problem(await sign_in(world, session, values, secret="not-a-secret"), 403, "signing_session.invalid")
    problem(await sign_in(world, {**session, "credential_id": other["id"]}, values), 403, "signing_session.invalid")
    problem(await sign_in(world, {**session, "session_id": str(uuid.uuid4())}, values), 403,
            "signing_session.invalid")
    problem(await sign_in(world, session, values, account_id=str(budi.account_id)), 403, "signing_session.invalid")
    assert await world.scalar("SELECT signatures_used FROM signing_session WHERE id = :s",
                              s=session["session_id"]) == 0
    assert await world.scalar("SELECT count(*) FROM audit_event WHERE action = 'signature_failed' "
                              "AND outcome = 'session_invalid' AND details->>'signing_session_id' = :s",
                              s=session["session_id"]) == 4


async def test_the_budget_is_spent_whole_calls_at_a_time(world: Any) -> None:
    ani = await world.person()
    session = await opened(world, ani, (await world.issue(ani))["id"], max_signatures=5)
    assert session["max_signatures"] == 5

    assert (await sign_in(world, session, world.b64(world.digests(3)))).status_code == 200
    refused = problem(await sign_in(world, session, world.b64(world.digests(3))), 409, "signing_session.exhausted")
    assert refused["details"] == {"max_signatures": 5, "signatures_used": 3, "requested": 3}
    assert (await sign_in(world, session, world.b64(world.digests(2)))).status_code == 200
    problem(await sign_in(world, session, world.b64(world.digests(1))), 409, "signing_session.exhausted")
    assert await world.scalar("SELECT signatures_used FROM signing_session WHERE id = :s",
                              s=session["session_id"]) == 5


async def test_terms_have_maxima_and_a_session_expires(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    too_long = await open_session(world, ani, credential["id"], ttl_s=3601)
    assert problem(too_long, 422, "signing_session.terms_rejected")["details"] == {
        "max_ttl_s": 3600, "max_signatures": 100_000}
    problem(await open_session(world, ani, credential["id"], max_signatures=100_001), 422,
            "signing_session.terms_rejected")

    session = await opened(world, ani, credential["id"], ttl_s=60)
    assert (await sign_in(world, session, world.b64(world.digests(1)))).status_code == 200
    await world.execute("UPDATE signing_session SET expires_at = now() - interval '1 second' WHERE id = :s",
                        s=session["session_id"])
    problem(await sign_in(world, session, world.b64(world.digests(1))), 409, "signing_session.expired")
    # without the secret, nothing about the session is told
    wrong = base64.urlsafe_b64encode(b"\x02" * 32).rstrip(b"=").decode()
    problem(await sign_in(world, session, world.b64(world.digests(1)), secret=wrong), 403, "signing_session.invalid")

    # never past the credential's own validity
    await world.execute("UPDATE signing_credential SET valid_until = now() + interval '2 minutes' WHERE id = :c",
                        c=credential["id"])
    capped = await opened(world, ani, credential["id"], ttl_s=3600)
    assert await world.scalar("SELECT expires_at = valid_until FROM signing_session s JOIN signing_credential c "
                              "ON c.id = s.credential_id WHERE s.id = :s", s=capped["session_id"])


async def test_another_login_session_is_refused(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    session = await opened(world, ani, credential["id"], sid=LOGIN_A)
    problem(await sign_in(world, session, world.b64(world.digests(1)), device=LOGIN_B), 403,
            "signing_session.device_mismatch")
    assert (await sign_in(world, session, world.b64(world.digests(1)), device=LOGIN_A)).status_code == 200

    # a token without `sid`: the session is bound to that token itself (its `jti`)
    headers = headers_of(world, ani, None)
    response = await world.http.post(f"/v1/signing-credentials/{credential['id']}/sessions",
                                     json={"passphrase": world.passphrase}, headers=headers)
    assert response.status_code == 201, response.text
    jti = jwt.decode(headers["authorization"].split()[1], options={"verify_signature": False})["jti"]
    by_token = response.json()
    problem(await sign_in(world, by_token, world.b64(world.digests(1)), device=LOGIN_A), 403,
            "signing_session.device_mismatch")
    assert (await sign_in(world, by_token, world.b64(world.digests(1)), device=jti)).status_code == 200


async def test_the_holder_closes_a_session(world: Any) -> None:
    ani, budi = await world.person(), await world.person()
    credential = await world.issue(ani)
    session = await opened(world, ani, credential["id"])
    path = f"/v1/signing-credentials/{credential['id']}/sessions/{session['session_id']}"

    assert (await world.http.delete(path, headers=budi.headers)).status_code == 404
    assert (await world.http.delete(path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=ani.headers)).status_code \
        == 404
    assert (await world.http.delete(path, headers=headers_of(world, ani, LOGIN_B))).status_code == 204  # any login
    refused = problem(await sign_in(world, session, world.b64(world.digests(1))), 409, "signing_session.closed")
    assert refused["details"] == {"reason": "holder_request"}
    assert await world.scalar("SELECT sealed_key IS NULL AND key_nonce IS NULL FROM signing_session WHERE id = :s",
                              s=session["session_id"])
    assert (await world.http.delete(path, headers=ani.headers)).status_code == 204  # closing again: nothing changes
    assert await world.scalar("SELECT count(*) FROM audit_event WHERE action = 'signing_session_closed' "
                              "AND details->>'credential_id' = :c", c=credential["id"]) == 1


async def test_revoking_the_credential_closes_its_sessions(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    first, second = await opened(world, ani, credential["id"]), await opened(world, ani, credential["id"])

    revoked = await world.http.post(f"/v1/signing-credentials/{credential['id']}/revoke", headers=ani.headers)
    assert revoked.status_code == 200
    for session in (first, second):
        refused = problem(await sign_in(world, session, world.b64(world.digests(1))), 409, "signing_session.closed")
        assert refused["details"] == {"reason": "credential_revoked"}
    assert await world.scalar("SELECT count(*) FROM signing_session WHERE credential_id = :c AND closed_at IS NULL",
                              c=credential["id"]) == 0
    problem(await open_session(world, ani, credential["id"]), 409, "credential.revoked")


async def test_wrong_passphrases_when_opening_count_toward_the_lockout_which_closes_sessions(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    session = await opened(world, ani, credential["id"])
    values = world.b64(world.digests(1))

    # one counter for signing calls and openings
    assert (await world.sign(credential["id"], values, passphrase="Salah#12345")).json()["details"] == {
        "attempts_remaining": 4}
    for remaining in (3, 2, 1):
        wrong = problem(await open_session(world, ani, credential["id"], passphrase="Salah#12345"), 403,
                        "credential.passphrase_wrong")
        assert wrong["details"] == {"attempts_remaining": remaining}
    assert (await sign_in(world, session, values)).status_code == 200  # not locked yet
    problem(await open_session(world, ani, credential["id"], passphrase="Salah#12345"), 423, "credential.locked")

    refused = problem(await sign_in(world, session, values), 409, "signing_session.closed")
    assert refused["details"] == {"reason": "credential_locked"}
    problem(await open_session(world, ani, credential["id"]), 423, "credential.locked")  # even the right one
    outcomes = await world.scalar(
        "SELECT array_agg(outcome ORDER BY at) FROM audit_event WHERE details->>'credential_id' = :c "
        "AND action = 'signing_session_refused'", c=credential["id"])
    assert outcomes == ["wrong_passphrase"] * 3 + ["wrong_passphrase_locked", "locked"]


async def test_concurrent_calls_never_sign_past_the_budget(world: Any) -> None:
    ani = await world.person()
    session = await opened(world, ani, (await world.issue(ani))["id"], max_signatures=10)

    responses = await asyncio.gather(*[sign_in(world, session, world.b64(world.digests(3))) for _ in range(8)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 3 + [409] * 5, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"signing_session.exhausted"}
    assert await world.scalar("SELECT signatures_used FROM signing_session WHERE id = :s",
                              s=session["session_id"]) == 9
    outcomes = await world.scalar(
        "SELECT array_agg(action || ':' || outcome ORDER BY action, outcome) FROM audit_event "
        "WHERE details->>'signing_session_id' = :s", s=session["session_id"])
    assert outcomes == ["signature_created:success"] * 3 + ["signature_failed:session_exhausted"] * 5 + [
        "signing_session_opened:success"]
    assert (await sign_in(world, session, world.b64(world.digests(1)))).status_code == 200  # the one left
