"""What invoice needs in production (`INVOICE_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/invoice/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from invoice.settings import InvoiceSettings
from kit.settings import RELAX_ENV, required_in_prod

REQUIRED = [
    "INVOICE_DATABASE__DSN", "INVOICE_KAFKA__BOOTSTRAP_SERVERS", "INVOICE_AUTH__JWKS_URL", "INVOICE_WORKER_HOST",
    "INVOICE_IDENTITY__BASE_URL", "INVOICE_IDENTITY__CLIENT_ID", "INVOICE_IDENTITY__CLIENT_SECRET",
    "INVOICE_WEBHOOKS__SECRET", "INVOICE_PUBLIC_URL",
]


def test_the_settings_production_needs() -> None:
    assert required_in_prod(InvoiceSettings) == REQUIRED


def test_production_with_development_defaults_names_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INVOICE_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INVOICE_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        InvoiceSettings()
    refused = str(caught.value)
    assert f"{len(REQUIRED)} setting(s) are not fit for production" in refused
    assert all(name in refused for name in REQUIRED)
