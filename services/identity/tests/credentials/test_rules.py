"""Pure rules: passphrases (tax-rules §3.10) and the sealed key format. No I/O."""

from __future__ import annotations

import pytest

from identity.credentials import keystore
from identity.credentials.errors import PassphraseRejected
from identity.credentials.passphrase import broken_rules, check_passphrase


@pytest.mark.parametrize("passphrase", ["Rahasia#2025", "Pajak%2025+ok", "Abcdef1!", "Kata Sandi 9@", "Ñandú#2025x"])
def test_passphrases_that_meet_the_rules(passphrase: str) -> None:
    assert broken_rules(passphrase) == []


def test_every_broken_rule_is_named_and_the_passphrase_is_not_echoed() -> None:
    with pytest.raises(PassphraseRejected) as caught:
        check_passphrase("a/'")
    assert caught.value.details == {"rules": ["min_length", "uppercase", "digit", "special", "forbidden_character"]}
    assert "a/'" not in caught.value.detail
    assert broken_rules("Aa1!" * 33) == ["max_length"]


def test_the_same_passphrase_typed_differently_opens_the_key() -> None:
    composed, decomposed = "Caf\u00e9#2025A", "Cafe\u0301#2025A"  # NFC vs NFD
    key = keystore.generate_key()
    kdf = keystore.KdfParams(10, 8, 1)
    sealed = keystore.seal(key, check_passphrase(composed), credential_id=b"c" * 16, kdf=kdf)
    opened = keystore.unseal(sealed, check_passphrase(decomposed), credential_id=b"c" * 16)
    assert opened.private_numbers() == key.private_numbers()


def test_kdf_parameters_travel_with_the_sealed_key() -> None:
    params = keystore.KdfParams(15, 8, 2)
    assert keystore.KdfParams.from_json(params.as_json()) == params
    with pytest.raises(ValueError):
        keystore.KdfParams.from_json({"alg": "md5"})
