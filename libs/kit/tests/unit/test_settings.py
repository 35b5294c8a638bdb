from typing import Annotated

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from kit.settings import (
    RELAX_ENV,
    BaseServiceSettings,
    DatabaseSettings,
    KafkaSettings,
    RequiredInProd,
    required_in_prod,
    service_config,
)


class DemoSettings(BaseServiceSettings):
    model_config = service_config("DEMO_")
    service_name: str = "demo"


class KeySettings(BaseModel):
    signing_key: Annotated[SecretStr | None, RequiredInProd()] = None
    pepper: Annotated[SecretStr, RequiredInProd()] = SecretStr("dev-only-pepper")
    peer_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8001"
    providers: Annotated[list[str], RequiredInProd()] = []
    ttl_s: int = 300  # not marked: its default is fine anywhere


class SecretiveSettings(BaseServiceSettings):
    model_config = service_config("SECRETIVE_")
    service_name: str = "secretive"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/secretive")
    keys: KeySettings = KeySettings()


PROD_READY = {
    "SECRETIVE_DATABASE__DSN": "postgresql+asyncpg://secretive:pw@secretive-db-rw:5432/secretive",
    "SECRETIVE_KAFKA__BOOTSTRAP_SERVERS": "kafka-bootstrap:9093",
    "SECRETIVE_AUTH__JWKS_URL": "http://identity-api:8000/.well-known/jwks.json",
    "SECRETIVE_WORKER_HOST": "0.0.0.0",
    "SECRETIVE_KEYS__SIGNING_KEY": "-----BEGIN PRIVATE KEY-----...",
    "SECRETIVE_KEYS__PEPPER": "a real pepper",
    "SECRETIVE_KEYS__PEER_URL": "http://peer-api:8000",
    "SECRETIVE_KEYS__PROVIDERS": '["one"]',
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RELAX_ENV, raising=False)


def test_every_address_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DATABASE__DSN", "postgresql+asyncpg://u:p@db.internal:6432/demo")
    monkeypatch.setenv("DEMO_KAFKA__BOOTSTRAP_SERVERS", "kafka-0:9093,kafka-1:9093")
    monkeypatch.setenv("DEMO_KAFKA__ENABLE_IDEMPOTENCE", "false")
    settings = DemoSettings()
    assert settings.database.asyncpg_dsn == "postgresql://u:p@db.internal:6432/demo"
    assert settings.kafka.bootstrap_servers == "kafka-0:9093,kafka-1:9093"
    assert settings.kafka.enable_idempotence is False
    assert "p@db" not in repr(settings.database)  # the DSN is a secret


def test_production_refuses_a_producer_without_idempotence() -> None:
    with pytest.raises(ValidationError, match="DEMO_KAFKA__ENABLE_IDEMPOTENCE must be true"):
        DemoSettings(env="prod", database=DatabaseSettings(dsn="postgresql+asyncpg://x/y"),
                     kafka=KafkaSettings(enable_idempotence=False))


def test_production_names_every_missing_or_development_value_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETIVE_ENV", "prod")
    monkeypatch.setenv("SECRETIVE_KEYS__PEPPER", "dev-only-pepper")  # set, but to the development default
    monkeypatch.setenv("SECRETIVE_KEYS__PEER_URL", "   ")
    with pytest.raises(ValidationError) as caught:
        SecretiveSettings()
    message = str(caught.value)
    assert "SECRETIVE_ENV=prod, but 8 setting(s) are not fit for production" in message
    for line in [
        "SECRETIVE_DATABASE__DSN is still the development default",  # the section default's DSN
        "SECRETIVE_KAFKA__BOOTSTRAP_SERVERS is still the development default",
        "SECRETIVE_AUTH__JWKS_URL is still the development default",
        "SECRETIVE_WORKER_HOST is still the development default",
        "SECRETIVE_KEYS__SIGNING_KEY is not set",
        "SECRETIVE_KEYS__PEPPER is still the development default",
        "SECRETIVE_KEYS__PEER_URL is not set",
        "SECRETIVE_KEYS__PROVIDERS is not set",
    ]:
        assert f"  - {line}" in message, line
    assert "TTL_S" not in message
    assert "dev-only-pepper" not in message  # values are never printed, only names


@pytest.mark.parametrize("missing", sorted(PROD_READY))
def test_each_required_setting_alone_stops_production(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for var, value in PROD_READY.items():
        if var != missing:
            monkeypatch.setenv(var, value)
    monkeypatch.setenv("SECRETIVE_ENV", "prod")
    with pytest.raises(ValidationError, match="1 setting\\(s\\) are not fit") as caught:
        SecretiveSettings()
    assert missing in str(caught.value)


def test_production_starts_when_everything_is_set_and_development_never_checks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in PROD_READY.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("SECRETIVE_ENV", "prod")
    assert SecretiveSettings().keys.providers == ["one"]
    for env in ("dev", "test"):  # development: nothing is checked
        assert SecretiveSettings(env=env, keys=KeySettings()).keys.signing_key is None


def test_sasl_needs_its_password_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in PROD_READY.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("SECRETIVE_ENV", "prod")
    monkeypatch.setenv("SECRETIVE_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(ValidationError, match="SECRETIVE_KAFKA__SASL_PASSWORD is not set"):
        SecretiveSettings()
    monkeypatch.setenv("SECRETIVE_KAFKA__SASL_PASSWORD", "from-the-kafka-user")
    assert SecretiveSettings().kafka.security_protocol == "SASL_SSL"


def test_only_the_idempotence_check_can_be_relaxed_and_only_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in PROD_READY.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("SECRETIVE_ENV", "prod")
    monkeypatch.setenv("SECRETIVE_KAFKA__ENABLE_IDEMPOTENCE", "false")
    with pytest.raises(ValidationError, match="ENABLE_IDEMPOTENCE must be true"):
        SecretiveSettings()
    monkeypatch.setenv(RELAX_ENV, "kafka.enable_idempotence")
    assert SecretiveSettings().kafka.enable_idempotence is False
    monkeypatch.delenv("SECRETIVE_KEYS__SIGNING_KEY")
    with pytest.raises(ValidationError, match="SECRETIVE_KEYS__SIGNING_KEY is not set"):
        SecretiveSettings()  # relaxing one check relaxes nothing else
    monkeypatch.setenv(RELAX_ENV, "kafka.enable_idempotence,keys.signing_key")
    with pytest.raises(ValidationError, match="cannot be relaxed: keys.signing_key"):
        SecretiveSettings()


def test_required_in_prod_lists_the_variables() -> None:
    assert required_in_prod(SecretiveSettings) == [
        "SECRETIVE_DATABASE__DSN", "SECRETIVE_KAFKA__BOOTSTRAP_SERVERS", "SECRETIVE_AUTH__JWKS_URL",
        "SECRETIVE_WORKER_HOST", "SECRETIVE_KEYS__SIGNING_KEY", "SECRETIVE_KEYS__PEPPER", "SECRETIVE_KEYS__PEER_URL",
        "SECRETIVE_KEYS__PROVIDERS"]
