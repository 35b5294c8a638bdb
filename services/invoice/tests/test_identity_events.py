"""Invoice's consumer of identity's events, through the real broker, EventConsumer and database (`deliver`): PKP
status changes applied and judged by the invoice's date, a redelivered change applied once, and facts that arrive
out of order (a late change of the same day, a change made before an NPWP change arriving after it) leave the
status identity last decided. The registry replica's own rules are tested for every service in
tests/test_taxpayer_replicas.py."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from contracts.identity import PKPStatusChanged, TaxpayerRegistered, TaxpayerUpdated
from invoice.settings import InvoiceSettings
from invoice.taxpayers.repository import TaxpayerRepository
from invoice.worker import CONSUMERS
from kit.testing.events import envelope_for
from kit.testing.service import deliver
from kit.worker import ConsumerSpec
from services.invoice.tests.factories import npwp16

[IDENTITY_EVENTS] = [spec for spec in CONSUMERS if spec.purpose == "identity-events"]


def registered(npwp: str) -> TaxpayerRegistered:
    return TaxpayerRegistered(taxpayer_id=str(uuid.uuid4()), npwp=npwp, nitku=npwp + "000000", name="PT Contoh",
                              kind="company", registered_at=datetime(2024, 1, 1, tzinfo=UTC))


def pkp(taxpayer: TaxpayerRegistered, is_pkp: bool, effective: date, npwp: str | None = None) -> PKPStatusChanged:
    return PKPStatusChanged(taxpayer_id=taxpayer.taxpayer_id, npwp=npwp or taxpayer.npwp, is_pkp=is_pkp,
                            effective_date=effective, source_of_change="officer")


async def status(world: Any, npwp: str, on: date) -> bool | None:
    async with world.sessions() as s:
        return (await TaxpayerRepository(s).pkp_status(npwp))(on)


async def test_a_pkp_change_is_applied_once_and_asked_for_the_invoice_date(world: Any,
                                                                          settings: InvoiceSettings) -> None:
    taxpayer = registered(npwp16())
    revoked = envelope_for(pkp(taxpayer, False, date(2025, 6, 1)), key=taxpayer.npwp, sequence=3)
    await deliver(settings, IDENTITY_EVENTS, [(taxpayer.npwp, taxpayer, 1),
                                             (taxpayer.npwp, pkp(taxpayer, True, date(2025, 2, 1)), 2),
                                             revoked, revoked])  # the inbox sees the revocation twice
    h = world.token(taxpayer.npwp)
    ok = await world.http.post("/v1/invoices", json=world.draft_body(taxpayer.npwp), headers=h)
    assert ok.status_code == 201, ok.text
    for day in ("2025-01-31", "2025-06-01"):
        refused = await world.http.post("/v1/invoices", json=world.draft_body(taxpayer.npwp, invoice_date=day),
                                        headers=h)
        assert refused.status_code == 422 and refused.json()["details"]["errors"][0]["code"] == "seller.not_pkp"

    await deliver(settings, IDENTITY_EVENTS, [revoked])  # another consumer group: the handler sees it again
    assert await world.scalar("SELECT count(*) FROM pkp_status_change WHERE event_id = :e", e=revoked["id"]) == 1
    assert await world.scalar("SELECT count(*) FROM pkp_status_change WHERE npwp = :n", n=taxpayer.npwp) == 2
    assert [await status(world, taxpayer.npwp, date(2025, m, d)) for m, d in ((1, 31), (2, 1), (5, 31), (6, 1))] \
        == [False, True, True, False]


async def test_a_late_change_of_the_same_day_does_not_override_a_newer_one(world: Any,
                                                                           settings: InvoiceSettings) -> None:
    # identity revoked the PKP from 1 June (version 3), then corrected it: PKP after all (version 4); the revocation
    # arrives last (a replay, a redriven dead letter)
    taxpayer = registered(npwp16())
    await deliver(settings, IDENTITY_EVENTS, [(taxpayer.npwp, taxpayer, 1),
                                             (taxpayer.npwp, pkp(taxpayer, True, date(2025, 1, 1)), 2),
                                             (taxpayer.npwp, pkp(taxpayer, True, date(2025, 6, 1)), 4)])
    await deliver(settings, IDENTITY_EVENTS, [(taxpayer.npwp, pkp(taxpayer, False, date(2025, 6, 1)), 3)])
    assert await status(world, taxpayer.npwp, date(2025, 7, 1)) is True


async def test_changes_arriving_after_npwp_changes_follow_the_taxpayer(world: Any, settings: InvoiceSettings) -> None:
    # After NIK-NPWP matching identity's events are keyed by the new NPWP: they travel on other partitions than the
    # ones made before, which may arrive later. Here the NPWP changes A -> B -> C, the second change arrives first,
    # and a PKP revocation made while the NPWP was still A arrives last.
    taxpayer, b, c = registered(npwp16()), npwp16(), npwp16()

    def renamed(previous: str, npwp: str) -> TaxpayerUpdated:
        return TaxpayerUpdated(taxpayer_id=taxpayer.taxpayer_id, npwp=npwp, previous_npwp=previous,
                               nitku=npwp + "000000", name=taxpayer.name, kind=taxpayer.kind, status="active",
                               changed=["npwp"], updated_at=datetime.now(UTC))

    await deliver(settings, IDENTITY_EVENTS, [(taxpayer.npwp, taxpayer, 1),
                                             (taxpayer.npwp, pkp(taxpayer, True, date(2025, 1, 1)), 2)])
    for batch in ([(c, renamed(b, c), 5)], [(b, renamed(taxpayer.npwp, b), 4)],
                  [(taxpayer.npwp, pkp(taxpayer, False, date(2025, 5, 1)), 3)]):
        await deliver(settings, IDENTITY_EVENTS, batch)
    assert (await status(world, c, date(2025, 4, 30)), await status(world, c, date(2025, 5, 1))) == (True, False)
    assert await world.scalar("SELECT count(*) FROM pkp_status_change WHERE npwp IN (:a, :b)",
                              a=taxpayer.npwp, b=b) == 0


def test_the_worker_consumes_identity_events() -> None:
    assert isinstance(IDENTITY_EVENTS, ConsumerSpec) and IDENTITY_EVENTS.topics == ["identity.events"]
