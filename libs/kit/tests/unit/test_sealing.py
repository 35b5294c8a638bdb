import base64
import importlib.util
from pathlib import Path

import pytest
from nacl.public import PrivateKey, SealedBox

from kit.sealing import SealError, generate_keypair, open_sealed, public_key_of, seal


def test_only_the_private_key_opens_what_the_public_key_sealed() -> None:
    private, public = generate_keypair()
    other_private, _ = generate_keypair()
    assert public_key_of(private) == public
    sealed = seal(public, b"493027")
    assert "493027" not in sealed
    assert open_sealed(private, sealed) == b"493027"
    assert seal(public, b"493027") != sealed  # a fresh ephemeral key each time
    with pytest.raises(SealError):
        open_sealed(other_private, sealed)


@pytest.mark.parametrize("tamper", [lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"), lambda s: "x",
                                    lambda s: "!!!not base64!!!", lambda s: s[:50]])
def test_tampered_or_malformed_payloads_are_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    private, public = generate_keypair()
    with pytest.raises(SealError):
        open_sealed(private, tamper(seal(public, b"123456")))


def test_the_box_is_libsodiums_crypto_box_seal() -> None:
    """What we seal, libsodium's own sealed-box open (PyNaCl's binding) opens: the construction is libsodium's."""
    private, public = generate_keypair()
    sealed = seal(public, b"493027")
    assert sealed.startswith("v2.")
    raw = base64.urlsafe_b64decode(sealed[3:] + "=" * (-len(sealed[3:]) % 4))
    key = PrivateKey(base64.urlsafe_b64decode(private + "=" * (-len(private) % 4)))
    assert SealedBox(key).decrypt(raw) == b"493027"


def test_a_code_sealed_before_the_upgrade_still_opens() -> None:
    """OTP codes sealed by the earlier in-house format (still in flight during a rollout) open with the same key."""
    spec = importlib.util.spec_from_file_location("sealing_v1", Path(__file__).parent / "sealing_v1.py")
    assert spec is not None and spec.loader is not None
    v1 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(v1)
    private, public = generate_keypair()
    assert open_sealed(private, v1.seal(public, b"123456")) == b"123456"
    other_private, _ = generate_keypair()
    with pytest.raises(SealError):
        open_sealed(other_private, v1.seal(public, b"123456"))
