"""What invoice publishes: every event about an invoice carries the invoice's version after the change as its
`sequence` (signing, return, input-tax decision, cancellation, replacement each give the invoice a new version), so a
consumer that keeps the newest fact per invoice can tell a stale one. Events are read through kit's helper."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.invoice import InvoiceSigned
from invoice.clock import JAKARTA
from kit.testing.events import outbox_envelopes
from services.invoice.tests.factories import BUYER, make_signed, sign


async def _events(world: Any, invoice_id: Any) -> list[tuple[str, str, int]]:
    async with world.sessions() as s:
        return [(key, e.type, e.sequence) for key, e, _ in await outbox_envelopes(s, subjects=[str(invoice_id)])]


async def test_the_events_of_one_invoice_carry_its_versions_in_order(world: Any) -> None:
    seller = await world.seller()
    invoice = await make_signed(world.sessions, seller)
    buyer, mine = world.token(BUYER), world.token(seller)
    r = await world.http.post(f"/v1/invoices/{invoice.id}/returns", json={"lines": [{"line_no": 1, "qty": "0.5"}]},
                              headers=buyer)
    assert r.status_code == 201, r.text
    r = await world.http.post(f"/v1/invoices/{invoice.id}/input-tax", json={"action": "reject", "period": "2025-03"},
                              headers=buyer)
    assert r.status_code == 200, r.text
    r = await world.http.post(f"/v1/invoices/{invoice.id}/cancellation", json={"reason": "kontrak batal"},
                              headers=mine)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text

    events = await _events(world, invoice.id)
    assert [(key, kind) for key, kind, _ in events] == [
        (seller, "InvoiceSigned"), (BUYER, "ReturnIssued"), (BUYER, "InputTaxCredited"), (seller, "InvoiceCancelled")]
    assert [sequence for _, _, sequence in events] == [2, 3, 4, 5]  # a draft is version 1
    assert await world.scalar("SELECT version FROM invoice WHERE id = :i", i=invoice.id) == 5


async def test_a_replacement_gives_the_original_a_new_version_too(world: Any) -> None:
    seller = await world.seller()
    original = await make_signed(world.sessions, seller)
    r = await world.http.post(f"/v1/invoices/{original.id}/replacement", json={"buyer": {"name": "PT Baru"}},
                              headers=world.token(seller))
    assert r.status_code == 201, r.text
    replacement = r.json()["id"]
    edited = await world.http.patch(f"/v1/invoices/{replacement}", json={"add_info": None},
                                    headers=world.token(seller))
    assert edited.status_code == 200, edited.text  # the draft's version 2
    await sign(world.sessions, seller, [replacement])
    assert await _events(world, original.id) == [(seller, "InvoiceSigned", 2), (seller, "InvoiceReplaced", 3)]
    assert await _events(world, replacement) == [(seller, "InvoiceSigned", 3)]


async def test_invoice_signed_says_whether_the_faktur_was_made_late(world: Any) -> None:
    """`late` (UU KUP Art 14(4)): signed after the 20th of the month after the invoice date, on the Jakarta day;
    filing's sanctions fine it from this fact alone."""
    seller = await world.seller()
    this_month = datetime.now(JAKARTA).date().replace(day=1)
    old = await make_signed(world.sessions, seller)  # dated March 2025, signed today
    fresh = await make_signed(world.sessions, seller, invoice_date=this_month.isoformat())
    async with world.sessions() as s:
        found = {e.invoice_id: e.late for _, _, e in await outbox_envelopes(s, event_type="InvoiceSigned",
                                                                            subjects=[str(old.id), str(fresh.id)])
                 if isinstance(e, InvoiceSigned)}
    assert found == {str(old.id): True, str(fresh.id): False}
