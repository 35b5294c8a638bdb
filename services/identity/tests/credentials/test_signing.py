"""Signing batches of digests (seed item 25, and item 21's "sign per 500"): 1,000 and more per call, verifiable with
the certificate, in order; bad input signs nothing; wrong passphrases are counted and lock the credential."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from identity.credentials.keystore import verify_digest


async def test_1000_digests_are_signed_in_order_and_verify_with_the_certificate(world: Any) -> None:
    ani = await world.person("Ani Suryani")
    credential = await world.issue(ani)
    documents = [f"faktur 010.000-25.{i:08d}".encode() for i in range(1000)]
    values = [hashlib.sha256(d).digest() for d in documents]

    response = await world.sign(credential["id"], world.b64(values), account_id=str(ani.account_id),
                                acting_for="0123456789012345")
    assert response.status_code == 200, response.text
    body = response.json()

    assert body["credential_id"] == credential["id"] and body["certificate_serial"] == credential["serial_number"]
    assert body["algorithm"] == "ecdsa-p256-sha256" and body["signature_encoding"] == "der-base64"
    assert body["certificate_pem"] == credential["certificate_pem"]
    public = world.certificate(body["certificate_pem"]).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signatures = [base64.b64decode(s) for s in body["signatures"]]
    assert len(signatures) == 1000
    for signature, digest, document in zip(signatures, values, documents, strict=True):
        verify_digest(public, signature, digest)
        # the same signature is an ordinary ecdsa-with-SHA256 signature of the document itself
        public.verify(signature, document, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):  # in order: signature i is not signature i+1's
        verify_digest(public, signatures[0], values[1])

    audit = await world.scalar("SELECT details FROM audit_event WHERE action = 'signature_created' "
                               "AND details->>'credential_id' = :c", c=credential["id"])
    assert audit["digest_count"] == 1000 and audit["caller"] == "invoice-service"
    assert await world.scalar("SELECT acting_for FROM audit_event WHERE action = 'signature_created' "
                              "AND details->>'credential_id' = :c", c=credential["id"]) == "0123456789012345"
    assert await world.scalar("SELECT signature_count FROM signing_credential WHERE id = :c",
                              c=credential["id"]) == 1000


async def test_the_cap_is_5000_digests_per_call(world: Any) -> None:
    credential = await world.issue(await world.person())
    ok = await world.sign(credential["id"], world.b64(world.digests(5000)))
    assert ok.status_code == 200 and len(ok.json()["signatures"]) == 5000

    too_many = await world.sign(credential["id"], world.b64(world.digests(5001)))
    assert too_many.status_code == 413 and too_many.json()["code"] == "credential.batch_too_large"
    empty = await world.sign(credential["id"], [])
    assert empty.status_code == 422 and empty.json()["code"] == "request.invalid"


@pytest.mark.parametrize(("bad", "reason"), [
    ("not base64 at all!", "not_base64"),
    (base64.b64encode(hashlib.sha1(b"x").digest()).decode(), "wrong_length"),
    (base64.urlsafe_b64encode(b"\xfb" * 32).decode(), "not_base64"),
    ("", "wrong_length"),
])
async def test_a_malformed_digest_signs_nothing(world: Any, bad: str, reason: str) -> None:
    credential = await world.issue(await world.person())
    values = world.b64(world.digests(500))
    values[321] = bad
    response = await world.sign(credential["id"], values)

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "credential.digest_invalid"
    assert problem["details"] == {"index": 321, "reason": reason}
    assert "signatures" not in problem
    assert await world.scalar("SELECT signature_count FROM signing_credential WHERE id = :c", c=credential["id"]) == 0
    assert await world.scalar("SELECT count(*) FROM audit_event WHERE action = 'signature_created' "
                              "AND details->>'credential_id' = :c", c=credential["id"]) == 0


async def test_wrong_passphrases_are_counted_and_lock_the_credential(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    values = world.b64(world.digests(5))

    for remaining in (4, 3, 2, 1):
        response = await world.sign(credential["id"], values, passphrase="Salah#12345")
        assert response.status_code == 403
        assert response.json()["code"] == "credential.passphrase_wrong"
        assert response.json()["details"] == {"attempts_remaining": remaining}
    fifth = await world.sign(credential["id"], values, passphrase="Salah#12345")
    assert fifth.status_code == 423 and fifth.json()["code"] == "credential.locked"
    locked_until = fifth.json()["details"]["locked_until"]

    right = await world.sign(credential["id"], values)  # even the right passphrase, while locked
    assert right.status_code == 423 and right.json()["details"]["locked_until"] == locked_until
    listed = (await world.http.get("/v1/signing-credentials", headers=ani.headers)).json()["items"]
    assert listed[0]["locked_until"] is not None
    outcomes = await world.scalar(
        "SELECT array_agg(outcome ORDER BY at) FROM audit_event WHERE details->>'credential_id' = :c "
        "AND action = 'signature_failed'", c=credential["id"])
    assert outcomes == ["wrong_passphrase"] * 4 + ["wrong_passphrase_locked", "locked"]

    # the lock always ends
    await world.execute("UPDATE signing_credential SET locked_until = now() - interval '1 second' WHERE id = :c",
                        c=credential["id"])
    assert (await world.sign(credential["id"], values)).status_code == 200
    again = await world.sign(credential["id"], values, passphrase="Salah#12345")
    assert again.json()["details"] == {"attempts_remaining": 4}  # a fresh count


async def test_a_success_resets_the_count(world: Any) -> None:
    credential = await world.issue(await world.person())
    values = world.b64(world.digests(2))
    for _ in range(3):
        assert (await world.sign(credential["id"], values, passphrase="Salah#12345")).status_code == 403
    assert (await world.sign(credential["id"], values)).status_code == 200
    response = await world.sign(credential["id"], values, passphrase="Salah#12345")
    assert response.json()["details"] == {"attempts_remaining": 4}


async def test_expired_unknown_and_someone_elses_credentials(world: Any) -> None:
    ani, budi = await world.person(), await world.person()
    credential = await world.issue(ani)
    values = world.b64(world.digests(3))

    response = await world.sign(credential["id"], values, account_id=str(budi.account_id))
    assert response.status_code == 404 and response.json()["code"] == "credential.not_found"
    response = await world.sign("00000000-0000-4000-8000-000000000000", values)
    assert response.status_code == 404 and response.json()["code"] == "credential.not_found"

    await world.execute("UPDATE signing_credential SET valid_until = now() - interval '1 minute' WHERE id = :c",
                        c=credential["id"])
    response = await world.sign(credential["id"], values)
    assert response.status_code == 409 and response.json()["code"] == "credential.expired"
    listed = (await world.http.get("/v1/signing-credentials", headers=ani.headers)).json()["items"]
    assert listed[0]["status"] == "expired"


async def test_only_internal_services_with_the_scope_may_sign(world: Any) -> None:
    ani = await world.person()
    credential = await world.issue(ani)
    body = {"credential_id": credential["id"], "passphrase": world.passphrase, "digests": world.b64(world.digests(1))}

    assert (await world.http.post("/internal/v1/signatures", json=body)).status_code == 401
    for headers, code in ((ani.headers, "auth.service_token_required"),
                          (world.signer(scopes=("identity:read",)), "auth.missing_scope"),
                          (world.token(str(ani.account_id), scopes=["identity:sign"]), "auth.service_token_required")):
        response = await world.http.post("/internal/v1/signatures", json=body, headers=headers)
        assert response.status_code == 403 and response.json()["code"] == code
    assert (await world.http.post("/internal/v1/signatures", json=body, headers=world.signer())).status_code == 200
