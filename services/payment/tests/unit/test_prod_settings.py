"""What payment needs in production (`PAYMENT_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/payment/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from kit.settings import RELAX_ENV, required_in_prod
from payment.settings import PaymentSettings

REQUIRED = [
    "PAYMENT_DATABASE__DSN", "PAYMENT_KAFKA__BOOTSTRAP_SERVERS", "PAYMENT_AUTH__JWKS_URL", "PAYMENT_WORKER_HOST",
    "PAYMENT_WEBHOOKS__SECRET", "PAYMENT_PUBLIC_URL",
]


def test_the_settings_production_needs() -> None:
    assert required_in_prod(PaymentSettings) == REQUIRED


def test_production_with_development_defaults_names_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYMENT_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYMENT_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        PaymentSettings()
    refused = str(caught.value)
    assert f"{len(REQUIRED)} setting(s) are not fit for production" in refused
    assert all(name in refused for name in REQUIRED)
