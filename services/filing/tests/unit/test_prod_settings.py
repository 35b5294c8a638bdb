"""What filing needs in production (`FILING_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/filing/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from filing.settings import FilingSettings
from kit.settings import RELAX_ENV, required_in_prod

REQUIRED = [
    "FILING_DATABASE__DSN", "FILING_KAFKA__BOOTSTRAP_SERVERS", "FILING_AUTH__JWKS_URL", "FILING_WORKER_HOST",
    "FILING_IDENTITY__BASE_URL", "FILING_IDENTITY__CLIENT_ID", "FILING_IDENTITY__CLIENT_SECRET", "FILING_PUBLIC_URL",
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
