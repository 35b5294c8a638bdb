"""What identity needs in production (`IDENTITY_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/identity/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from identity.settings import IdentitySettings
from kit.settings import RELAX_ENV, required_in_prod

REQUIRED = [
    "IDENTITY_DATABASE__DSN", "IDENTITY_KAFKA__BOOTSTRAP_SERVERS", "IDENTITY_AUTH__JWKS_URL", "IDENTITY_WORKER_HOST",
    "IDENTITY_TOKENS__SIGNING_KEY", "IDENTITY_OTP__PEPPER", "IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY",
    "IDENTITY_CREDENTIALS__LIVENESS_URL", "IDENTITY_CREDENTIALS__LIVENESS_API_KEY", "IDENTITY_CREDENTIALS__CA_KEY",
    "IDENTITY_CREDENTIALS__CA_CERT",
]


def test_the_settings_production_needs() -> None:
    assert required_in_prod(IdentitySettings) == REQUIRED


def test_production_with_development_defaults_names_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDENTITY_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        IdentitySettings()
    refused = str(caught.value)
    assert f"{len(REQUIRED)} setting(s) are not fit for production" in refused
    assert all(name in refused for name in REQUIRED)
