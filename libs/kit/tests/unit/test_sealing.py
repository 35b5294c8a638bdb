import pytest

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
