"""Every service that keeps a replica of the taxpayer registry builds it the same way from identity's events:
registration, renames and NPWP changes (NIK-NPWP matching) applied, facts older than the replica's (by the
envelope's `sequence`, the taxpayer's version) ignored, whatever order they arrive in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

import filing.main
import filing.worker
import invoice.main
import invoice.worker
import notification.main
import notification.worker
import payment.main
import payment.worker
from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from devstack.testing.infra import Infra
from filing.settings import FilingSettings
from invoice.settings import InvoiceSettings
from kit.auth import JWKSCache
from kit.db import create_engine
from kit.settings import BaseServiceSettings
from kit.testing.events import random_npwp
from kit.testing.messaging import taxpayer_event
from kit.testing.service import api_client, deliver, service_settings
from kit.testing.tokens import TokenMaker
from kit.worker import ConsumerSpec
from notification.otp import Context
from notification.settings import NotificationSettings
from notification.templating import Catalogue
from payment.settings import PaymentSettings


@dataclass(frozen=True)
class Service:
    package: str
    settings: type[BaseServiceSettings]
    create_app: Callable[..., FastAPI]
    consumers: Callable[[Any], list[ConsumerSpec]]


MAKER = TokenMaker()
SERVICES = [
    Service("filing", FilingSettings, filing.main.create_app, lambda _: filing.worker.CONSUMERS),
    Service("payment", PaymentSettings, payment.main.create_app, lambda _: payment.worker.CONSUMERS),
    Service("invoice", InvoiceSettings, invoice.main.create_app, lambda _: invoice.worker.CONSUMERS),
    Service("notification", NotificationSettings, notification.main.create_app,
            lambda settings: notification.worker.consumers(Context(settings, Catalogue.load()))),
]


def updated(registered: TaxpayerRegistered, **changes: Any) -> TaxpayerUpdated:
    """identity's full current view of the taxpayer after `changes`."""
    view = {"taxpayer_id": registered.taxpayer_id, "npwp": registered.npwp, "nitku": registered.nitku,
            "name": registered.name, "kind": registered.kind, **changes}
    return TaxpayerUpdated(**view, status="active", changed=sorted(changes.keys() - {"previous_npwp"}),
                           updated_at=datetime.now(UTC))


def row(event: TaxpayerRegistered | TaxpayerUpdated) -> dict[str, str]:
    return {"npwp": event.npwp, "taxpayer_id": event.taxpayer_id, "nitku": event.nitku, "name": event.name,
            "kind": event.kind}


async def replica(http: httpx.AsyncClient, npwp: str) -> dict[str, str] | None:
    response = await http.get(f"/internal/v1/taxpayers/{npwp}", headers=MAKER.service_headers("registry:read"))
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


@pytest.mark.parametrize("service", SERVICES, ids=[s.package for s in SERVICES])
async def test_the_replica_follows_registration_renames_and_npwp_changes(infra: Infra, service: Service) -> None:
    settings = service_settings(infra, service.settings, service.package)
    [identity_events] = [spec for spec in service.consumers(settings) if spec.purpose == "identity-events"]
    app = service.create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))

    # Registration; the same fact again with a higher sequence wins; a stale one replayed late changes nothing.
    first = taxpayer_event(name="PT Nama Lama")
    registered_again = TaxpayerRegistered(**{**first.model_dump(), "name": "PT Nama Baru"})
    await deliver(settings, identity_events, [(first.npwp, first, 1), (first.npwp, registered_again, 2)])
    await deliver(settings, identity_events, [(first.npwp, first, 1)])
    async with api_client(app) as http:
        assert await replica(http, first.npwp) == row(registered_again)

    # A rename.
    renamed = updated(registered_again, name="PT Nama Ketiga")
    await deliver(settings, identity_events, [(first.npwp, renamed, 3)])
    async with api_client(app) as http:
        assert await replica(http, first.npwp) == row(renamed)

    # NIK-NPWP matching: the NPWP (and the head-office NITKU with it) changes, published under the new key. Another
    # taxpayer's update reaches this replica before its registration does (another key, another partition).
    nik = random_npwp()
    matched = updated(renamed, npwp=nik, nitku=nik + "000000", previous_npwp=first.npwp)
    second = taxpayer_event(name="CV Dua")
    second_renamed = updated(second, name="CV Dua Jaya", kind="company")
    await deliver(settings, identity_events, [(nik, matched, 4), (second.npwp, second_renamed, 2)])
    async with api_client(app) as http:
        assert await replica(http, nik) == row(matched)
        assert await replica(http, first.npwp) is None

    # Late, stale facts under the old keys: the row stays where it moved, the later view stays.
    await deliver(settings, identity_events, [(first.npwp, first, 1), (first.npwp, renamed, 3),
                                              (second.npwp, second, 1)])
    async with api_client(app) as http:
        assert await replica(http, nik) == row(matched)
        assert await replica(http, first.npwp) is None
        assert await replica(http, second.npwp) == row(second_renamed)

    engine = create_engine(settings.database, application_name="test.replica", pool_size=1)
    try:
        async with engine.connect() as conn:
            registered_at = (await conn.execute(text("SELECT registered_at FROM taxpayer WHERE taxpayer_id = :t"),
                                                {"t": second.taxpayer_id})).scalar_one()
    finally:
        await engine.dispose()
    assert registered_at == second.registered_at  # taken from the registration, though it came last
