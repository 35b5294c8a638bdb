"""The SPT Masa PPN prefilled from invoice's events, through the real broker and filing's consumer
(`filing.invoice-events`): figures by transaction code, credited input tax in the buyer's period, nota retur,
cancellation and replacement, exact under redelivery and out-of-order duplicates."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from filing.returns.handlers import invoice_handlers
from kit.testing.events import random_npwp
from services.filing.tests.conftest import Bus, auth
from services.filing.tests.factories import cancelled, credited, keyed, replaced, replacement, returned, signed

INVOICES = "invoice-events"


async def spt(api: httpx.AsyncClient, npwp: str, period: str) -> dict[str, Any]:
    response = await api.get(f"/v1/returns/spt-masa-ppn/{period}", params={"npwp": npwp}, headers=auth(npwp))
    assert response.status_code == 200, response.text
    return response.json()


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["transaction_code"]: row for row in body["output"]}


def totals(body: dict[str, Any]) -> tuple[str, ...]:
    return (body["output_ppn_owed"], body["ppnbm_owed"], body["input"]["creditable_ppn"], body["balance"],
            body["outcome"])


async def test_the_prefill_follows_signatures_cancellations_replacements_credits_and_returns(
        api: httpx.AsyncClient, bus: Bus) -> None:
    seller, buyer = random_npwp(), random_npwp()
    one = signed(seller, buyer=buyer, dpp="100000000", dpp_other="91666667", ppn="11000000")
    two = signed(seller, buyer=buyer, dpp="50000000", dpp_other="45833333", ppn="5500000")
    luxury = signed(seller, code="01", dpp="10000000", ppn="1200000", ppnbm="2000000")  # buyer without NPWP
    luxury_b = replacement(luxury, dpp="12000000", ppn="1440000", ppnbm="2400000")
    credit = credited(one, period="2026-02")
    nota = returned(one, period="2026-03", dpp="10000000", dpp_other="9166667", ppn="1100000")
    facts = [keyed(e) for e in (one, two, luxury, cancelled(two), luxury_b, replaced(luxury, luxury_b), credit,
                                nota)]
    await bus.send(invoice_handlers(), INVOICES, facts)

    feb = await spt(api, seller, "2026-02")
    codes = by_code(feb)
    assert sorted(codes) == ["01", "04"]
    assert {k: codes["04"][k] for k in ("invoices", "dpp", "dpp_other", "ppn", "ppnbm", "returns")} == {
        "invoices": 1, "dpp": "100000000", "dpp_other": "91666667", "ppn": "11000000", "ppnbm": "0", "returns": 0}
    assert {k: codes["01"][k] for k in ("invoices", "dpp", "ppn", "ppnbm")} == {  # the replacement only
        "invoices": 1, "dpp": "12000000", "ppn": "1440000", "ppnbm": "2400000"}
    assert totals(feb) == ("12440000", "2400000", "0", "12440000", "kurang_bayar")
    assert (feb["amount_due"], feb["overpayment"], feb["owed"], feb["open_return"]) == ("12440000", "0", None, None)

    # the nota retur: the seller's output and the buyer's (credited) input go down in March
    march = await spt(api, seller, "2026-03")
    assert {k: by_code(march)["04"][k] for k in ("invoices", "returns", "returned_ppn", "net_dpp", "net_ppn")} == {
        "invoices": 0, "returns": 1, "returned_ppn": "1100000", "net_dpp": "-10000000", "net_ppn": "-1100000"}
    assert totals(march) == ("-1100000", "0", "0", "-1100000", "lebih_bayar")

    buyer_feb = await spt(api, buyer, "2026-02")
    assert buyer_feb["output"] == []
    assert {k: buyer_feb["input"][k] for k in ("credited_invoices", "credited_ppn", "creditable_ppn")} == {
        "credited_invoices": 1, "credited_ppn": "11000000", "creditable_ppn": "11000000"}
    assert totals(buyer_feb) == ("0", "0", "11000000", "-11000000", "lebih_bayar")
    buyer_march = await spt(api, buyer, "2026-03")
    assert (buyer_march["input"]["returns"], buyer_march["input"]["returned_ppn"]) == (1, "1100000")
    assert totals(buyer_march) == ("0", "0", "-1100000", "1100000", "kurang_bayar")

    # redelivery of the same events (the inbox absorbs them), then republished facts under new event ids and out
    # of order (the per-invoice rows absorb them): a signature of the cancelled invoice, a second signature of the
    # first one, the credit again and the replaced invoice's signature
    again = [facts[0], facts[3], facts[6]] + [keyed(e) for e in (two, one, credit, luxury, nota)]
    await bus.send(invoice_handlers(), INVOICES, again)
    assert await spt(api, seller, "2026-02") == feb
    assert await spt(api, seller, "2026-03") == march
    assert await spt(api, buyer, "2026-02") == buyer_feb
    assert await spt(api, buyer, "2026-03") == buyer_march


async def test_a_cancellation_before_its_signature_leaves_nothing_counted(api: httpx.AsyncClient, bus: Bus) -> None:
    seller, buyer = random_npwp(), random_npwp()
    late = signed(seller, buyer=buyer, dpp="1000000", dpp_other="916667", ppn="110000")
    kept = signed(seller, buyer=buyer, dpp="2000000", dpp_other="1833333", ppn="220000")
    await bus.send(invoice_handlers(), INVOICES, [keyed(cancelled(late)), keyed(credited(late)), keyed(late),
                                                  keyed(kept)])
    body = await spt(api, seller, "2026-02")
    assert (by_code(body)["04"]["invoices"], by_code(body)["04"]["ppn"]) == (1, "220000")
    assert (await spt(api, buyer, "2026-02"))["input"]["credited_invoices"] == 0


async def test_the_figures_do_not_depend_on_the_order_the_facts_arrive_in(api: httpx.AsyncClient, bus: Bus) -> None:
    """Nota retur and credits travel on the buyer's partition, signatures on the seller's: any interleaving gives
    the same SPT."""

    def story(seller: str, buyer: str) -> list[Any]:
        first = signed(seller, buyer=buyer, dpp="30000000", dpp_other="27500000", ppn="3300000")
        second = signed(seller, buyer=buyer, dpp="8000000", dpp_other="7333333", ppn="880000")
        fixed = replacement(second, period="2026-03", dpp="9000000", dpp_other="8250000", ppn="990000")
        return [first, second, credited(second, period="2026-02"),
                returned(first, period="2026-02", dpp="3000000", dpp_other="2750000", ppn="330000"),
                credited(first, period="2026-03"), fixed, replaced(second, fixed), credited(fixed, period="2026-03")]

    pairs = [(random_npwp(), random_npwp()) for _ in range(2)]
    in_order = [keyed(e) for e in story(*pairs[0])]
    reversed_ = [keyed(e) for e in reversed(story(*pairs[1]))]
    await bus.send(invoice_handlers(), INVOICES, in_order + reversed_)
    for period in ("2026-02", "2026-03"):
        views = []
        for seller, buyer in pairs:
            views.append([{k: v for k, v in (await spt(api, npwp, period)).items() if k != "npwp"}
                          for npwp in (seller, buyer)])
        assert views[0] == views[1], period
    seller_feb, buyer_march = await spt(api, pairs[1][0], "2026-02"), await spt(api, pairs[1][1], "2026-03")
    assert totals(seller_feb) == ("2970000", "0", "0", "2970000", "kurang_bayar")  # 3,300,000 - 330,000 returned
    # the replaced invoice's credit is void; the retur (Feb) counts for the buyer once it credited the invoice (Mar)
    assert (buyer_march["input"]["credited_ppn"], buyer_march["input"]["creditable_ppn"]) == ("4290000", "4290000")
    assert (await spt(api, pairs[1][1], "2026-02"))["input"]["returned_ppn"] == "330000"


async def test_reading_the_draft_does_not_scan_the_invoices(bus: Bus) -> None:
    """The aggregates equal a recomputation from the per-invoice facts."""
    seller = random_npwp()
    invoices = [signed(seller, dpp=str(1_000_000 + i), dpp_other=str(916_667 + i), ppn=str(110_000 + i))
                for i in range(20)]
    await bus.send(invoice_handlers(), INVOICES, [keyed(e) for e in invoices] + [keyed(cancelled(invoices[3]))])
    async with bus.engine.connect() as conn:
        stored = (await conn.execute(text(
            "SELECT invoices, dpp, ppn FROM ppn_output WHERE npwp = :n AND period = '2026-02'"), {"n": seller})).one()
        recomputed = (await conn.execute(text(
            "SELECT count(*), sum(dpp), sum(ppn) FROM ppn_invoice WHERE seller_npwp = :n AND period = '2026-02' "
            "AND state = 'signed'"), {"n": seller})).one()
    assert tuple(stored) == tuple(recomputed) == (19, sum(1_000_000 + i for i in range(20) if i != 3),
                                                 sum(110_000 + i for i in range(20) if i != 3))
