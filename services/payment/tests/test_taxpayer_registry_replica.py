"""The payment service keeps its own replica of the taxpayer registry from identity's events."""

from __future__ import annotations

from contracts.identity import TaxpayerRegistered
from kit.testing.messaging import taxpayer_event
from kit.testing.service import api_client, deliver, service_settings
from payment.main import create_app
from payment.settings import PaymentSettings
from payment.worker import CONSUMERS


async def test_taxpayer_registered_lands_in_the_replica_and_stale_facts_do_not_regress_it(infra) -> None:  # type: ignore[no-untyped-def]
    settings = service_settings(infra, PaymentSettings, "payment")
    [identity_events] = [spec for spec in CONSUMERS if spec.purpose == "identity-events"]
    first = taxpayer_event(name="PT Nama Lama")
    renamed = TaxpayerRegistered(**{**first.model_dump(), "name": "PT Nama Baru"})

    await deliver(settings, identity_events, [(first.npwp, first, 1), (first.npwp, renamed, 2)])
    await deliver(settings, identity_events, [(first.npwp, first, 1)])  # a stale fact, replayed late

    async with api_client(create_app(settings)) as http:
        replica = (await http.get(f"/internal/v1/taxpayers/{first.npwp}")).json()
    assert replica == {"npwp": first.npwp, "taxpayer_id": first.taxpayer_id, "nitku": first.nitku,
                       "name": "PT Nama Baru", "kind": "individual"}
