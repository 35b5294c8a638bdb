"""What notification needs in production (`NOTIFICATION_ENV=prod`): it refuses to start naming every one that is unset or
still its development default. deploy/k8s/base/notification/ provides each (tests/test_deploy_manifests.py)."""

import pytest
from pydantic import ValidationError

from kit.settings import RELAX_ENV, required_in_prod
from notification.settings import NotificationSettings

REQUIRED = [
    "NOTIFICATION_DATABASE__DSN", "NOTIFICATION_KAFKA__BOOTSTRAP_SERVERS", "NOTIFICATION_AUTH__JWKS_URL", "NOTIFICATION_WORKER_HOST",
    "NOTIFICATION_SEALING__PRIVATE_KEY", "NOTIFICATION_SMS__PROVIDERS", "NOTIFICATION_SMTP__HOST",
]


def test_the_settings_production_needs() -> None:
    assert required_in_prod(NotificationSettings) == REQUIRED


def test_production_with_development_defaults_names_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFICATION_ENV", RELAX_ENV, *REQUIRED):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTIFICATION_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        NotificationSettings()
    refused = str(caught.value)
    assert f"{len(REQUIRED)} setting(s) are not fit for production" in refused
    assert all(name in refused for name in REQUIRED)
