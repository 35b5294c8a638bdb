"""Pure rules of signing sessions and the session-sealed key. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from identity.credentials import keystore
from identity.credentials.errors import NotEligible, SessionTermsRejected
from identity.credentials.session_rules import Device, decode_secret, device_of, encode_secret, session_terms, unusable
from identity.credentials.settings import CredentialSettings

NOW = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
SETTINGS = CredentialSettings()


@pytest.mark.parametrize(("claims", "device"), [
    ({"sid": "family-1", "jti": "abc"}, Device("sid", "family-1")),
    ({"jti": "abc"}, Device("jti", "abc")),
    ({"sid": "", "jti": "abc"}, Device("jti", "abc")),
    ({"sid": 7, "jti": "abc"}, Device("jti", "abc")),
])
def test_the_device_is_the_login_session_else_the_token(claims: dict[str, Any], device: Device) -> None:
    assert device_of(claims) == device


def test_a_token_naming_no_session_cannot_open_one() -> None:
    with pytest.raises(NotEligible):
        device_of({"sub": "x"})


@pytest.mark.parametrize(("ttl_s", "budget", "expected"), [
    (None, None, (timedelta(seconds=900), 10_000)),
    (60, 5, (timedelta(seconds=60), 5)),
    (3600, 100_000, (timedelta(seconds=3600), 100_000)),
])
def test_terms(ttl_s: int | None, budget: int | None, expected: tuple[timedelta, int]) -> None:
    assert session_terms(ttl_s=ttl_s, max_signatures=budget, settings=SETTINGS) == expected


@pytest.mark.parametrize(("ttl_s", "budget"), [(3601, None), (None, 100_001)])
def test_terms_above_the_maxima_are_refused(ttl_s: int | None, budget: int | None) -> None:
    with pytest.raises(SessionTermsRejected) as caught:
        session_terms(ttl_s=ttl_s, max_signatures=budget, settings=SETTINGS)
    assert caught.value.details == {"max_ttl_s": 3600, "max_signatures": 100_000}


def test_defaults_never_exceed_the_maxima() -> None:
    small = CredentialSettings(session_max_ttl_s=300, session_max_signatures=50)
    assert session_terms(ttl_s=None, max_signatures=None, settings=small) == (timedelta(seconds=300), 50)


OPEN: dict[str, Any] = {"closed_at": None, "closed_reason": None, "expires_at": NOW + timedelta(minutes=1),
                        "max_signatures": 10, "signatures_used": 4, "requested": 6, "now": NOW}


@pytest.mark.parametrize(("change", "code", "details"), [
    ({}, None, None),
    ({"requested": 7}, "signing_session.exhausted", {"max_signatures": 10, "signatures_used": 4, "requested": 7}),
    ({"expires_at": NOW}, "signing_session.expired", {"expired_at": NOW.isoformat()}),
    ({"closed_at": NOW, "closed_reason": "holder_request", "expires_at": NOW, "requested": 99},
     "signing_session.closed", {"reason": "holder_request"}),
    ({"expires_at": NOW - timedelta(seconds=1), "requested": 99}, "signing_session.expired",
     {"expired_at": (NOW - timedelta(seconds=1)).isoformat()}),
])
def test_why_a_session_cannot_sign(change: dict[str, Any], code: str | None, details: dict[str, Any] | None) -> None:
    problem = unusable(**{**OPEN, **change})
    assert (problem.code if problem else None) == code
    assert (problem.details if problem else None) == details


@pytest.mark.parametrize("text", ["", "abc", "A" * 42 + "B", "!" * 43, encode_secret(b"x" * 31), "A" * 44])
def test_malformed_secrets(text: str) -> None:
    assert decode_secret(text) is None


def test_a_secret_round_trips_with_or_without_padding() -> None:
    secret = bytes(range(32))
    assert len(encode_secret(secret)) == 43
    assert decode_secret(encode_secret(secret)) == secret == decode_secret(encode_secret(secret) + "=")


def test_the_session_sealed_key_opens_only_with_its_secret_session_and_credential() -> None:
    key = keystore.generate_key()
    secret, sealed = keystore.seal_for_session(key, session_id=b"s" * 16, credential_id=b"c" * 16)
    assert len(secret) == keystore.SESSION_SECRET_SIZE
    opened = keystore.unseal_session(sealed, secret, session_id=b"s" * 16, credential_id=b"c" * 16)
    assert opened.private_numbers() == key.private_numbers()
    for wrong in ({"secret": bytes(32)}, {"session_id": b"t" * 16}, {"credential_id": b"d" * 16},
                  {"secret": secret[:31]}):
        args: dict[str, Any] = {"secret": secret, "session_id": b"s" * 16, "credential_id": b"c" * 16, **wrong}
        with pytest.raises(keystore.SessionSecretMismatch):
            keystore.unseal_session(sealed, args.pop("secret"), **args)
