"""What is at rest: the private key only sealed under the passphrase; the passphrase nowhere (rows, events, logs);
the CA kept across restarts."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from identity.credentials import keystore


async def sealed_of(world: Any, credential_id: str) -> keystore.SealedKey:
    async with world.sessions() as s:
        row = (await s.execute(text("SELECT sealed_key, key_nonce, kdf_salt, kdf_params FROM signing_credential "
                                    "WHERE id = :i"), {"i": credential_id})).one()
    return keystore.SealedKey(row.sealed_key, row.key_nonce, row.kdf_salt, keystore.KdfParams.from_json(row.kdf_params))


async def test_the_stored_private_key_cannot_be_used_without_the_passphrase(world: Any) -> None:
    credential = await world.issue(await world.person())
    sealed = await sealed_of(world, credential["id"])
    cid = uuid.UUID(credential["id"]).bytes

    for load in (lambda b: serialization.load_der_private_key(b, password=None),
                 lambda b: serialization.load_pem_private_key(b, password=None)):
        with pytest.raises(ValueError):
            load(sealed.ciphertext)
    with pytest.raises(keystore.PassphraseMismatch):
        keystore.unseal(sealed, "Salah#12345", credential_id=cid)
    # bound to its row: the same ciphertext does not open as another credential's
    with pytest.raises(keystore.PassphraseMismatch):
        keystore.unseal(sealed, world.passphrase, credential_id=uuid.uuid4().bytes)

    private = keystore.unseal(sealed, world.passphrase, credential_id=cid)
    certificate = world.certificate(credential["certificate_pem"])
    assert private.public_key().public_numbers() == \
        certificate.public_key().public_numbers()  # type: ignore[union-attr]
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    assert der not in sealed.ciphertext and scalar not in sealed.ciphertext
    assert sealed.kdf == keystore.KdfParams(14, 8, 1)
    assert await rows_containing(world, scalar.hex()) == []


async def rows_containing(world: Any, needle: str) -> list[str]:
    """Tables with a row whose text form contains `needle` (bytea columns show as hex in a row's text form)."""
    found = []
    async with world.sessions() as s:
        tables = (await s.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars()
        for table in list(tables):
            hit = (await s.execute(text(f'SELECT count(*) FROM "{table}" t WHERE strpos(t::text, :n) > 0'),
                                   {"n": needle})).scalar()
            if hit:
                found.append(table)
    return found


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


async def test_the_passphrase_is_in_no_row_event_or_log(settings: Any, open_world: Any, capfd: Any) -> None:
    passphrase = "Rahas1a!Unik-" + uuid.uuid4().hex[:8]
    collected = Collect()
    async with open_world(settings.model_copy(update={"log_level": "DEBUG"})) as world:
        root = logging.getLogger()
        root.addHandler(collected)  # beside the app's own JSON handler on stdout (captured by capfd)
        try:
            ani = await world.person()
            weak = await world.request(ani, passphrase=passphrase.lower())  # refused: no upper case
            assert weak.status_code == 422 and passphrase.lower() not in weak.text
            credential = await world.issue(ani, passphrase=passphrase)
            values = world.b64(world.digests(20))
            assert (await world.sign(credential["id"], values, passphrase=passphrase)).status_code == 200
            wrong = await world.sign(credential["id"], values, passphrase=passphrase + "x")
            assert wrong.status_code == 403 and passphrase not in wrong.text
            superseding = await world.issue(ani, passphrase=passphrase)
            await world.http.post(f"/v1/signing-credentials/{superseding['id']}/revoke", headers=ani.headers)
        finally:
            root.removeHandler(collected)

        out, err = capfd.readouterr()
        assert collected.lines and out  # the logs were captured, at DEBUG (SQL statements included)
        for variant in {passphrase, passphrase.lower(), passphrase + "x"}:
            assert not [line for line in collected.lines if variant in line]
            assert variant not in out and variant not in err
            for needle in (variant, variant.encode().hex()):
                assert await rows_containing(world, needle) == []


async def test_the_development_ca_survives_a_restart(settings: Any, open_world: Any) -> None:
    async with open_world(settings) as world:
        first = world.certificate((await world.issue(await world.person()))["certificate_pem"])
    async with open_world(settings) as world:  # a new process, as far as the app can tell
        second = world.certificate((await world.issue(await world.person()))["certificate_pem"])
        ca = world.certificate(await world.scalar("SELECT certificate_pem FROM signing_authority"))
        assert await world.scalar("SELECT count(*) FROM signing_authority") == 1

    assert first.issuer == second.issuer == ca.subject
    first.verify_directly_issued_by(ca)
    second.verify_directly_issued_by(ca)
