"""`python -m identity.keys`: what it writes is what identity and notification load in production."""

import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.credentials.authority import CertificateAuthority
from identity.keys import main
from kit.sealing import open_sealed, seal


def test_the_written_keys_load_and_work_together(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--ca-common-name", "Test CA"]) == 0
    identity = {p.name: p for p in (tmp_path / "identity").iterdir()}
    notification = {p.name: p for p in (tmp_path / "notification").iterdir()}
    assert set(identity) == {"IDENTITY_TOKENS__SIGNING_KEY", "IDENTITY_CREDENTIALS__CA_KEY",
                             "IDENTITY_CREDENTIALS__CA_CERT", "IDENTITY_OTP__PEPPER",
                             "IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY"}
    assert set(notification) == {"NOTIFICATION_SEALING__PRIVATE_KEY"}
    for path in [*identity.values(), *notification.values()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    key = serialization.load_pem_private_key(identity["IDENTITY_TOKENS__SIGNING_KEY"].read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    authority = CertificateAuthority.from_pem(identity["IDENTITY_CREDENTIALS__CA_KEY"].read_bytes(),
                                              identity["IDENTITY_CREDENTIALS__CA_CERT"].read_bytes())
    assert "Test CA" in authority.certificate.subject.rfc4514_string()
    sealed = seal(identity["IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY"].read_text(), b"123456")
    assert open_sealed(notification["NOTIFICATION_SEALING__PRIVATE_KEY"].read_text(), sealed) == b"123456"
    assert len(identity["IDENTITY_OTP__PEPPER"].read_text()) >= 43  # 32 random bytes


def test_a_rotation_writes_only_what_it_names(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--only", "token-key"]) == 0
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["IDENTITY_TOKENS__SIGNING_KEY"]
