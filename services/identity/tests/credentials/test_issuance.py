"""Requesting a signing credential (seed items 1 and 15): a face check through the provider, a certificate in the
holder's own name and identifiers, never anyone else's; events and audit rows with it, nothing when it fails."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from contracts.identity import SigningCredentialIssued, SigningCredentialRevoked
from identity.credentials.authority import CERTIFICATE_POLICY, DOCUMENT_SIGNING, KO_POLICY, NAME
from kit.testing.events import outbox_events


def subject(cert: x509.Certificate) -> dict[str, str]:
    return {a.oid.dotted_string: str(a.value) for a in cert.subject}


def attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    [value] = cert.subject.get_attributes_for_oid(oid)
    return str(value.value)


async def events_for(world: Any, key: str, event_type: str) -> list[Any]:
    async with world.sessions() as s:
        return [e for k, e in await outbox_events(s, event_type=event_type) if k == key]


async def credential_count(world: Any, who: Any) -> int:
    return await world.scalar("SELECT count(*) FROM signing_credential WHERE account_id = :a", a=who.account_id)


@pytest.mark.parametrize(("kind", "policy", "days"), [("kode_otorisasi", KO_POLICY, 730),
                                                     ("electronic_certificate", CERTIFICATE_POLICY, 365)])
async def test_a_credential_is_issued_in_the_holders_own_name(world: Any, kind: str, policy: Any, days: int) -> None:
    ani = await world.person("Ani Suryani")
    body = await world.issue(ani, kind=kind)

    assert body["kind"] == kind and body["status"] == "active"
    assert body["subject"] == {"name": "Ani Suryani", "serial_number": f"IDCID-{ani.nik}",
                               "identity_number": ani.identity_number}
    assert "key" not in " ".join(body).replace("key_algorithm", "")  # no private key field of any name
    cert = world.certificate(body["certificate_pem"])
    assert attr(cert, NameOID.COMMON_NAME) == "Ani Suryani"
    assert attr(cert, NameOID.SERIAL_NUMBER) == f"IDCID-{ani.nik}"
    assert attr(cert, NameOID.USER_ID) == ani.identity_number
    assert attr(cert, NameOID.COUNTRY_NAME) == "ID"
    assert format(cert.serial_number, "x") == body["serial_number"]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=days)
    [info] = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert info.policy_identifier == policy
    assert DOCUMENT_SIGNING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    # issued by the service's own CA
    ca_pem = await world.scalar("SELECT certificate_pem FROM signing_authority WHERE name = 'default'")
    cert.verify_directly_issued_by(world.certificate(ca_pem))

    # the face check was about her, from her person row
    assert (await world.checked_subjects())[-1] == {"type": "nik", "number": ani.nik, "country": "IDN"}

    listed = (await world.http.get("/v1/signing-credentials", headers=ani.headers)).json()["items"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert listed[0]["certificate_pem"] == body["certificate_pem"]

    [event] = await events_for(world, ani.identity_number, "SigningCredentialIssued")
    assert event == SigningCredentialIssued(
        credential_id=body["id"], account_id=str(ani.account_id), kind=kind, certificate_serial=body["serial_number"],
        valid_from=cert.not_valid_before_utc, valid_until=cert.not_valid_after_utc, issued_at=event.issued_at)
    audit = await world.scalar("SELECT details FROM audit_event WHERE action = 'credential_issued' "
                               "AND actor_id = :a", a=str(ani.account_id))
    assert audit["credential_id"] == body["id"] and audit["certificate_serial"] == body["serial_number"]


async def test_a_passport_holder_with_a_non_latin_name(world: Any) -> None:
    wang = await world.person("王小明", passport_country="CHN")
    body = await world.issue(wang, kind="electronic_certificate")
    cert = world.certificate(body["certificate_pem"])

    assert attr(cert, NameOID.COMMON_NAME) == "王小明"
    assert attr(cert, NameOID.SERIAL_NUMBER) == f"PASCHN-{wang.passport_number}"
    assert not cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    assert (await world.checked_subjects())[-1] == {"type": "passport", "number": wang.passport_number,
                                                    "country": "CHN"}


async def test_a_name_longer_than_x509_allows_in_cn_is_carried_whole(world: Any) -> None:
    name = "Raden Mas Haryo Bambang Sulistyo Wicaksono Adinegoro Prawiranegara Kusumo"
    someone = await world.person(name)
    cert = world.certificate((await world.issue(someone))["certificate_pem"])

    assert attr(cert, NameOID.COMMON_NAME) == name[:64]
    assert attr(cert, NAME) == name


async def test_the_body_cannot_name_anyone(world: Any) -> None:
    ani, budi = await world.person("Ani Suryani"), await world.person("Budi Santoso")

    for extra in ({"full_name": budi.full_name}, {"nik": budi.nik}, {"identity_number": budi.identity_number},
                  {"subject": {"name": budi.full_name}}, {"account_id": str(budi.account_id)}):
        response = await world.request(ani, **extra)
        assert response.status_code == 422 and response.json()["code"] == "request.invalid", extra
    assert await credential_count(world, ani) == 0 and await credential_count(world, budi) == 0

    # Budi's identifiers as the capture reference change nothing either: the certificate is Ani's.
    body = await world.issue(ani, reference=f"selfie-{budi.nik}")
    cert = world.certificate(body["certificate_pem"])
    assert subject(cert)[NameOID.COMMON_NAME.dotted_string] == "Ani Suryani"
    assert subject(cert)[NameOID.SERIAL_NUMBER.dotted_string] == f"IDCID-{ani.nik}"
    assert budi.full_name not in body["certificate_pem"] and await credential_count(world, budi) == 0


async def test_acting_for_someone_else_or_as_a_machine_cannot_request(world: Any) -> None:
    ani, budi = await world.person("Ani Suryani"), await world.person("Budi Santoso")
    # Ani's token exchanged to act for Budi: the subject is Budi, the actor Ani. No credential in Budi's name.
    acting = world.token(str(budi.account_id), actor={"sub": str(ani.account_id)})
    machine = world.token(str(budi.account_id), client_kind="pjap")
    for headers in (acting, machine):
        response = await world.http.post("/v1/signing-credentials", headers=headers, json={
            "kind": "kode_otorisasi", "passphrase": world.passphrase, "liveness_reference": "live-ok"})
        assert response.status_code == 403 and response.json()["code"] == "credential.personal_token_required"
    assert (await world.http.post("/v1/signing-credentials", json={})).status_code == 401
    assert await credential_count(world, budi) == 0

    disabled = await world.person(status="disabled")
    response = await world.request(disabled)
    assert response.status_code == 403 and response.json()["code"] == "credential.not_eligible"


async def test_concurrent_requests_each_get_their_own_name(world: Any) -> None:
    people = [await world.person(name) for name in ("Ani", "Budi", "Citra", "Dewi", "Eko", "Fajar")]
    bodies = await asyncio.gather(*(world.issue(p, kind=k) for p in people
                                    for k in ("kode_otorisasi", "electronic_certificate")))

    for i, body in enumerate(bodies):
        owner = people[i // 2]
        cert = world.certificate(body["certificate_pem"])
        assert attr(cert, NameOID.COMMON_NAME) == owner.full_name
        assert attr(cert, NameOID.SERIAL_NUMBER) == owner.subject_serial
        assert attr(cert, NameOID.USER_ID) == owner.identity_number
        listed = (await world.http.get("/v1/signing-credentials", headers=owner.headers)).json()["items"]
        assert body["id"] in [c["id"] for c in listed]
        assert {c["subject"]["name"] for c in listed} == {owner.full_name}


@pytest.mark.parametrize(("reference", "status", "code", "reason"), [
    ("reject-glasses", 422, "credential.face_check_failed", "face_mismatch"),
    ("noface-dark", 422, "credential.face_check_failed", "no_face_detected"),
    ("other-subject", 422, "credential.face_check_failed", "subject_mismatch"),
    ("unknown-session", 422, "credential.face_check_failed", "reference_rejected"),
    ("error-500", 503, "credential.face_check_unavailable", None),
    ("slow-provider", 503, "credential.face_check_unavailable", None),
])
async def test_a_failed_face_check_stores_nothing(world: Any, reference: str, status: int, code: str,
                                             reason: str | None) -> None:
    ani = await world.person()
    response = await world.request(ani, reference=reference)

    assert response.status_code == status and response.json()["code"] == code
    if reason:
        assert response.json()["details"]["reason"] == reason
    assert await credential_count(world, ani) == 0
    assert await world.scalar("SELECT count(*) FROM outbox WHERE key = :k", k=ani.identity_number) == 0
    if status == 422:  # the rejection itself is a security-relevant fact: audited, nothing else
        assert await world.scalar("SELECT outcome FROM audit_event WHERE actor_id = :a AND "
                                  "action = 'credential_face_check_failed'", a=str(ani.account_id)) == "rejected"


@pytest.mark.parametrize(("passphrase", "rules"), [
    ("Ab1!", ["min_length"]),
    ("abcdef1!", ["uppercase"]),
    ("ABCDEF1!", ["lowercase"]),
    ("Abcdefg!", ["digit"]),
    ("Abcdefg1", ["special"]),
    ("Abcdef1!/", ["forbidden_character"]),
    ("Abcdef1!'", ["forbidden_character"]),
    ("Abc\ndef1!", ["forbidden_character"]),
    ("xyz", ["min_length", "uppercase", "digit", "special"]),  # not hex: never inside an id in the response
])
async def test_passphrase_rules(world: Any, passphrase: str, rules: list[str]) -> None:
    ani = await world.person()
    checks_before = len(await world.checked_subjects())
    response = await world.request(ani, passphrase=passphrase)

    assert response.status_code == 422
    assert response.json()["code"] == "credential.passphrase_rejected"
    assert response.json()["details"]["rules"] == rules
    assert passphrase not in response.text
    assert len(await world.checked_subjects()) == checks_before  # refused before the face check
    assert await credential_count(world, ani) == 0


async def test_percent_and_plus_are_fine(world: Any) -> None:
    ani = await world.person()
    body = await world.issue(ani, passphrase="Pajak%2025+ok")
    signed = await world.sign(body["id"], world.b64(world.digests(3)), passphrase="Pajak%2025+ok")
    assert signed.status_code == 200, signed.text


async def test_a_new_request_supersedes_the_previous_one_of_its_kind(world: Any) -> None:
    ani = await world.person()
    first = await world.issue(ani)
    other_kind = await world.issue(ani, kind="electronic_certificate")
    second = await world.issue(ani, passphrase="Lupa&Baru123")  # forgot the passphrase: ask for a new KO

    response = await world.http.get("/v1/signing-credentials", headers=ani.headers)
    listed = {c["id"]: c for c in response.json()["items"]}
    assert listed[first["id"]]["status"] == "revoked" and listed[first["id"]]["revoked_reason"] == "superseded"
    assert listed[second["id"]]["status"] == "active" and listed[other_kind["id"]]["status"] == "active"
    [revoked] = await events_for(world, ani.identity_number, "SigningCredentialRevoked")
    assert revoked.credential_id == first["id"] and revoked.reason == "superseded"

    response = await world.sign(first["id"], world.b64(world.digests(1)))
    assert response.status_code == 409 and response.json()["code"] == "credential.revoked"


async def test_the_holder_revokes_and_a_revoked_credential_cannot_sign(world: Any) -> None:
    ani, budi = await world.person(), await world.person()
    body = await world.issue(ani)

    # not Budi's to revoke, and he cannot tell it exists
    response = await world.http.post(f"/v1/signing-credentials/{body['id']}/revoke", headers=budi.headers)
    assert response.status_code == 404 and response.json()["code"] == "credential.not_found"
    assert (await world.http.get("/v1/signing-credentials", headers=budi.headers)).json()["items"] == []

    revoked = await world.http.post(f"/v1/signing-credentials/{body['id']}/revoke", headers=ani.headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = await world.http.post(f"/v1/signing-credentials/{body['id']}/revoke", headers=ani.headers)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]

    [event] = await events_for(world, ani.identity_number, "SigningCredentialRevoked")
    assert event == SigningCredentialRevoked(
        credential_id=body["id"], account_id=str(ani.account_id), kind="kode_otorisasi",
        certificate_serial=body["serial_number"], reason="holder_request", revoked_at=event.revoked_at)
    assert await world.scalar("SELECT count(*) FROM audit_event WHERE action = 'credential_revoked' "
                              "AND details->>'credential_id' = :c", c=body["id"]) == 1

    response = await world.sign(body["id"], world.b64(world.digests(10)))
    assert response.status_code == 409 and response.json()["code"] == "credential.revoked"
    async with world.sessions() as s:
        count = (await s.execute(text("SELECT signature_count FROM signing_credential WHERE id = :i"),
                                 {"i": body["id"]})).scalar()
    assert count == 0
