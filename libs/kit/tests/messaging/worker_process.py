"""A real worker process (relay + one consumer writing `effect` rows) for the crash test: run, then SIGKILLed.

Usage: python worker_process.py <topic> <purpose>, settings from KITTEST_* environment variables.
"""

import sys

from kit.settings import BaseServiceSettings, service_config
from kit.testing.messaging import make_effect_handlers
from kit.worker import ConsumerSpec, create_worker_app, serve


class Settings(BaseServiceSettings):
    model_config = service_config("KITTEST_")
    service_name: str = "kittest"


if __name__ == "__main__":
    topic, purpose = sys.argv[1], sys.argv[2]
    settings = Settings()
    handlers = make_effect_handlers(f"{settings.service_name}.{purpose}")
    serve(create_worker_app(settings, [ConsumerSpec(purpose, [topic], handlers)]), settings)
