"""What filing needs in production (`FILING_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/filing/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from filing.settings import FilingSettings
from kit.settings import RELAX_ENV, required_in_prod

REQUIRED = [
    "FILING_DATABASE__DSN", "FILING_KAFKA__BOOTSTRAP_SERVERS", "FILING_AUTH__JWKS_URL", "FILING_WORKER_HOST",
    "FILING_IDENTITY__BASE_URL", "FILING_IDENTITY__CLIENT_ID", "FILING_IDENTITY__CLIENT_SECRET",
    "FILING_KSWP__SIGNING_KEY", "FILING_PUBLIC_URL",
]


def test_the_settings_production_needs() -> None:
    assert required_in_prod(FilingSettings) == REQUIRED


def test_production_with_development_defaults_names_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FILING_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FILING_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        FilingSettings()
    refused = str(caught.value)
    assert f"{len(REQUIRED)} setting(s) are not fit for production" in refused
    assert all(name in refused for name in REQUIRED)
    # the KSWP letters' key has a working development default (make run), which production refuses
    assert "FILING_KSWP__SIGNING_KEY is still the development default" in refused


def test_production_takes_a_kswp_key_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from filing.kswp.signing import signer

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    for name in ("FILING_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FILING_ENV", "prod")
    monkeypatch.setenv("FILING_KSWP__SIGNING_KEY", pem)
    with pytest.raises(ValidationError) as caught:
        FilingSettings()
    assert "FILING_KSWP__SIGNING_KEY" not in str(caught.value)  # the others are still missing, not this one
    monkeypatch.delenv("FILING_ENV")
    assert signer(FilingSettings().kswp.signing_key.get_secret_value()).key_id == signer(pem).key_id
