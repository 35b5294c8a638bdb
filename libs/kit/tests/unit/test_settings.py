import pytest
from pydantic import ValidationError

from kit.settings import BaseServiceSettings, DatabaseSettings, KafkaSettings, service_config


class DemoSettings(BaseServiceSettings):
    model_config = service_config("DEMO_")
    service_name: str = "demo"


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
    with pytest.raises(ValidationError):
        DemoSettings(env="prod", database=DatabaseSettings(dsn="postgresql+asyncpg://x/y"),
                     kafka=KafkaSettings(enable_idempotence=False))
