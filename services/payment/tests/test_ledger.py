"""The ledger on the real database: the taxpayer's Buku Besar with keyset pages, postings idempotent by transfer id
(the primary key as the last guard), and the invariants over everything the tests have posted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from kit.testing.events import random_npwp
from payment.ledger.errors import TransferExistsWithDifferentFields
from payment.ledger.postings import Posting, payment_posting
from payment.ledger.repository import LedgerRepository
from payment.ledger.service import audit_ledger, post_in
from services.payment.tests.conftest import World
from services.payment.tests.factories import taxpayer_token


async def test_the_buku_besar_lists_each_liability_what_paid_it_and_the_deposit(world: World) -> None:
    npwp = random_npwp()
    made = [("411121-100", "2026-09", "1000000"), ("411121-100", "2026-10", "1200000"),
            ("411211-100", "2026-10", "5500000"), ("411618-100", None, "300000")]
    for i, (kap_kjs, period, amount) in enumerate(made):
        code = (await world.new_code(npwp, kap_kjs=kap_kjs, period=period, amount=amount))["code"]
        assert (await world.pay(code, amount, reference=f"BB-{npwp}-{i}")).status_code == 201
    await world.new_code(npwp, kap_kjs="411126-100", period="2026-10", amount="999")  # unpaid: not in the books

    headers = taxpayer_token(npwp, scopes=("payment:read",))
    items, cursor, pages = [], None, 0
    while True:
        response = await world.http.get("/v1/ledger", headers=headers,
                                        params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["npwp"], page["owed"], page["deposit"]) == (npwp, "0", "300000")
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert [(i["kap_kjs"], i["period"], i["liabilities"], i["payments"], i["balance"]) for i in items] == [
        ("411121-100", "2026-09", "1000000", "1000000", "0"),
        ("411121-100", "2026-10", "1200000", "1200000", "0"),
        ("411211-100", "2026-10", "5500000", "5500000", "0")]
    assert items[0]["kap_name"] == "PPh Pasal 21"

    for token, status, error in [(taxpayer_token(random_npwp()), 403, None), ({}, 401, "unauthorized"),
                                 (taxpayer_token(npwp, scopes=("payment:write",)), 403, "auth.missing_scope")]:
        refused = await world.http.get("/v1/ledger", headers=token, params={"npwp": npwp})
        assert refused.status_code == status and (error is None or refused.json()["code"] == error)
    bad_cursor = await world.http.get("/v1/ledger", headers=headers, params={"cursor": "nonsense"})
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (400, "pagination.invalid_cursor")


async def test_a_posting_is_idempotent_by_its_transfer_ids_and_the_primary_key_is_the_last_guard(
        world: World) -> None:
    """In one transaction, rolled back at the end: a posting without its payment would (rightly) fail the audit."""
    posting = payment_posting(bank_id="bank-test", bank_reference=f"LEDGER-{random_npwp()}", npwp=random_npwp(),
                              kap_kjs="411125-100", period="2026-10", assessment_number=None,
                              amount=Decimal(420000), ntpn="LEDGERTEST000001")
    ids = [t.id for t in posting.transfers]
    now = datetime.now(UTC)
    async with world.uow() as uow:
        first = await post_in(uow.session, posting, effective_at=now)
        again = await post_in(uow.session, posting, effective_at=now)
        assert (first.already_posted, len(first.created), again.already_posted) == (False, 2, True)

        # The same ids with other contents are refused, whole.
        changed = Posting(posting.key, posting.accounts,
                          (replace(posting.transfers[0], amount=Decimal(1)), posting.transfers[1]))
        with pytest.raises(TransferExistsWithDifferentFields):
            await post_in(uow.session, changed, effective_at=now)

        # Even a writer that skipped the rules cannot post an id twice: the primary key refuses it.
        with pytest.raises(IntegrityError):
            await LedgerRepository(uow.session).insert_dated_transfers([(posting.transfers[0], now)])
    assert await world.scalar("SELECT count(*) FROM transfer WHERE id = ANY(:ids)", ids=ids) == 0


async def test_the_whole_ledger_balances_and_keeps_its_invariants(world: World) -> None:
    """Over every posting the session's tests made (run last in this module, after payments of every kind)."""
    code = (await world.new_code(amount="123456"))["code"]
    assert (await world.pay(code, "123456", reference=f"AUDIT-{code}")).status_code == 201
    report = await audit_ledger(world.uow())
    assert report.problems == []
    assert report.balanced and report.debits == report.credits > 0
    assert report.accounts >= 3
