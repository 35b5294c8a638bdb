"""The KSWP letter's signature (pure): what is signed, what a verifier needs, what makes a letter invalid."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from filing.kswp.rules import canonical, digest
from filing.kswp.signing import KeyInvalid, Signer, jwks, key_id, published, signer, verify
from filing.settings import DEV_KSWP_SIGNING_KEY

SNAPSHOT = canonical({"letter_number": "KSWP-2026-000000001", "npwp": "0012345678901234", "status": "valid"})
DIGEST = digest(SNAPSHOT)


def pem(curve: ec.EllipticCurve | None = None) -> str:
    return ec.generate_private_key(curve or ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def public_pem(private: str) -> str:
    return signer(private).public.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_the_signature_is_plain_ecdsa_p256_sha256_over_the_snapshot_text() -> None:
    s = signer(DEV_KSWP_SIGNING_KEY)
    signature = s.sign(DIGEST)
    # an outside verifier needs no prehashing: ECDSA with SHA-256 over the snapshot's bytes
    s.public.public_key.verify(base64.b64decode(signature), SNAPSHOT.encode(), ec.ECDSA(hashes.SHA256()))
    keys = published(DEV_KSWP_SIGNING_KEY, [])
    assert verify(SNAPSHOT, DIGEST, signature, s.key_id, keys).valid


def test_the_key_id_is_the_rfc7638_thumbprint_of_the_published_jwk() -> None:
    s = signer(DEV_KSWP_SIGNING_KEY)
    [jwk] = jwks(published(DEV_KSWP_SIGNING_KEY, []))["keys"]
    required = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    thumbprint = hashlib.sha256(json.dumps(required, sort_keys=True, separators=(",", ":")).encode()).digest()
    assert jwk["kid"] == s.key_id == key_id(s.public.public_key) == base64.urlsafe_b64encode(
        thumbprint).rstrip(b"=").decode()
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert signer(pem()).key_id != s.key_id


OTHER = pem()


@pytest.mark.parametrize("snapshot, digest_hex, signature, signed_by, keys, valid, reason", [
    (SNAPSHOT, DIGEST, "sig", "current", "current", True, "the snapshot matches its digest and the signature"),
    (SNAPSHOT.replace("valid", "invalid"), DIGEST, "sig", "current", "current", False,
     "the stored snapshot does not match"),
    (SNAPSHOT.replace("valid", "invalid"), digest(SNAPSHOT.replace("valid", "invalid")), "sig", "current", "current",
     False, "the signature does not verify"),
    (SNAPSHOT, DIGEST, "other", "current", "current", False, "the signature does not verify"),  # another key's
    (SNAPSHOT, DIGEST, "sig", "current", "other", False, "the signing key"),  # key not published
    (SNAPSHOT, DIGEST, None, None, "current", False, "the letter is not signed"),
    (SNAPSHOT, DIGEST, "garbage", "current", "current", False, "the signature does not verify"),
])
def test_what_makes_a_letter_invalid(snapshot: str, digest_hex: str, signature: str | None, signed_by: str | None,
                                     keys: str, valid: bool, reason: str) -> None:
    signatures = {"sig": signer(DEV_KSWP_SIGNING_KEY).sign(DIGEST), "other": signer(OTHER).sign(DIGEST),
                  "garbage": "bm90IGEgc2lnbmF0dXJl", None: None}
    ids = {"current": signer(DEV_KSWP_SIGNING_KEY).key_id, None: None}
    published_keys = published(DEV_KSWP_SIGNING_KEY if keys == "current" else OTHER, [])
    verdict = verify(snapshot, digest_hex, signatures[signature], ids[signed_by], published_keys)
    assert verdict.valid is valid and verdict.reason.startswith(reason), verdict.reason


def test_previous_keys_stay_published_after_a_rotation() -> None:
    new = pem()
    keys = published(new, [public_pem(DEV_KSWP_SIGNING_KEY)])
    assert [(k.key_id, k.current) for k in keys.values()] == [
        (signer(new).key_id, True), (signer(DEV_KSWP_SIGNING_KEY).key_id, False)]
    old_signature = signer(DEV_KSWP_SIGNING_KEY).sign(DIGEST)
    assert verify(SNAPSHOT, DIGEST, old_signature, signer(DEV_KSWP_SIGNING_KEY).key_id, keys).valid


@pytest.mark.parametrize("private", ["not a key", pem(ec.SECP384R1())])
def test_a_key_that_is_not_p256_is_refused(private: str) -> None:
    with pytest.raises(KeyInvalid, match="FILING_KSWP__SIGNING_KEY"):
        Signer(private)


def test_a_previous_key_that_is_not_p256_is_refused() -> None:
    with pytest.raises(KeyInvalid, match=r"PREVIOUS_PUBLIC_KEYS\[0\]"):
        published(DEV_KSWP_SIGNING_KEY, ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
