"""The ledger's pure rules (TigerBeetle-style): balanced transfers, all-or-nothing postings, ids as idempotency
keys, balance-limit flags, and balances derived from the transfers."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from kit.errors import AppError
from payment.ledger.accounts import (
    Account,
    AccountFlag,
    AccountKey,
    AccountKind,
    account_id,
    bank_settlement_key,
    deposit_key,
    liability_key,
    open_account,
    state_revenue_key,
)
from payment.ledger.postings import Posting, payment_posting
from payment.ledger.rules import (
    Transfer,
    TransferCode,
    derive_totals,
    post,
    taxpayer_position,
    transfer_id,
    trial_balance,
)

D = Decimal
NPWP_A, NPWP_B = "0013121660091000", "3171011708450001"
PPH21_AUG = open_account(liability_key(NPWP_A, "411121-100", period="2025-08"))
STP = open_account(liability_key(NPWP_A, "411121-300", assessment_number="00012/107/25/051/25"))
REVENUE_PPH21 = open_account(state_revenue_key("411121-100"))
REVENUE_STP = open_account(state_revenue_key("411121-300"))
BANK = open_account(bank_settlement_key("002"))
DEPOSIT_A = open_account(deposit_key(NPWP_A))
DEPOSIT_B = open_account(deposit_key(NPWP_B))
OPEN = {a.id: a for a in (PPH21_AUG, STP, REVENUE_PPH21, REVENUE_STP, BANK, DEPOSIT_A, DEPOSIT_B)}


def t(key: str, leg: int, debit: Account, credit: Account, amount: int | str, code: TransferCode) -> Transfer:
    return Transfer(transfer_id(key, leg), debit.id, credit.id, D(amount), code, reference=key)


def record(debt: Account, revenue: Account, amount: int, key: str) -> list[Transfer]:
    return [t(key, 0, debt, revenue, amount, TransferCode.LIABILITY_RECORDED)]


class Books:
    """Accounts and stored transfers, as the repository will keep them; postings applied one by one."""

    def __init__(self) -> None:
        self.accounts = dict(OPEN)
        self.transfers: dict[uuid.UUID, Transfer] = {}

    def post(self, transfers: list[Transfer]) -> bool:
        result = post(self.accounts, transfers, existing=self.transfers)
        self.accounts.update(result.accounts)
        self.transfers.update({x.id: x for x in result.created})
        return result.already_posted


def test_a_self_assessed_payment_records_the_liability_then_pays_it_in_one_posting() -> None:
    books = Books()
    books.post([t("pay:002:REF1", 0, PPH21_AUG, REVENUE_PPH21, 1_000_000, TransferCode.LIABILITY_RECORDED),
                t("pay:002:REF1", 1, BANK, PPH21_AUG, 1_000_000, TransferCode.PAYMENT_APPLIED)])
    liability = books.accounts[PPH21_AUG.id]
    assert (liability.debits_posted, liability.credits_posted, liability.balance) == (D(1_000_000), D(1_000_000), 0)
    assert books.accounts[BANK.id].balance == D(1_000_000)
    assert books.accounts[REVENUE_PPH21.id].balance == D(1_000_000)
    assert trial_balance(books.accounts.values()) == 0


def test_the_chain_is_applied_in_order_paying_before_recording_is_refused() -> None:
    with pytest.raises(AppError) as refused:
        post(OPEN, [t("k", 0, BANK, PPH21_AUG, 1_000, TransferCode.PAYMENT_APPLIED),
                    t("k", 1, PPH21_AUG, REVENUE_PPH21, 1_000, TransferCode.LIABILITY_RECORDED)], existing={})
    assert refused.value.code == "ledger.exceeds_debits"
    assert refused.value.details["index"] == 0


def test_nobody_pays_a_liability_beyond_what_it_owes() -> None:
    books = Books()
    books.post(record(STP, REVENUE_STP, 500_000, "stp-1"))
    with pytest.raises(AppError) as refused:
        books.post([t("pay-2", 0, BANK, STP, 500_001, TransferCode.PAYMENT_APPLIED)])
    assert (refused.value.code, refused.value.details["owed"]) == ("ledger.exceeds_debits", "500000")
    books.post([t("pay-2", 0, BANK, STP, 500_000, TransferCode.PAYMENT_APPLIED)])
    assert books.accounts[STP.id].balance == 0


def test_the_deposit_tops_up_allocates_moves_and_refunds_but_never_goes_below_zero() -> None:
    books = Books()
    books.post(record(STP, REVENUE_STP, 300_000, "stp-1"))
    books.post([t("top-up", 0, BANK, DEPOSIT_A, 1_000_000, TransferCode.DEPOSIT_TOPPED_UP)])
    books.post([t("alloc-1", 0, DEPOSIT_A, STP, 300_000, TransferCode.DEPOSIT_ALLOCATED)])
    books.post([t("move-1", 0, DEPOSIT_A, DEPOSIT_B, 200_000, TransferCode.DEPOSIT_TRANSFERRED)])
    books.post([t("refund-1", 0, DEPOSIT_B, BANK, 150_000, TransferCode.DEPOSIT_REFUNDED)])
    assert books.accounts[DEPOSIT_A.id].balance == D(500_000)
    assert books.accounts[DEPOSIT_B.id].balance == D(50_000)
    with pytest.raises(AppError) as refused:
        books.post([t("refund-2", 0, DEPOSIT_B, BANK, 50_001, TransferCode.DEPOSIT_REFUNDED)])
    assert (refused.value.code, refused.value.details["available"]) == ("ledger.exceeds_credits", "50000")
    assert trial_balance(books.accounts.values()) == 0


def test_posting_the_same_transfers_again_changes_nothing() -> None:
    books = Books()
    payment = [t("pay:002:REF9", 0, PPH21_AUG, REVENUE_PPH21, 750_000, TransferCode.LIABILITY_RECORDED),
               t("pay:002:REF9", 1, BANK, PPH21_AUG, 750_000, TransferCode.PAYMENT_APPLIED)]
    assert books.post(payment) is False
    before = dict(books.accounts)
    for _ in range(10):  # a bank retrying the same confirmation
        assert books.post(list(payment)) is True
    assert books.accounts == before
    assert len(books.transfers) == 2


@pytest.mark.parametrize("changes, fields", [
    ({"amount": D(750_001)}, ["amount"]),
    ({"credit_account_id": REVENUE_STP.id}, ["credit_account_id"]),
    ({"code": TransferCode.LIABILITY_REDUCED, "reference": "other"}, ["code", "reference"]),
])
def test_an_id_reused_for_different_contents_is_refused(changes: dict[str, object], fields: list[str]) -> None:
    books = Books()
    original = t("debt-7", 0, PPH21_AUG, REVENUE_PPH21, 750_000, TransferCode.LIABILITY_RECORDED)
    books.post([original])
    with pytest.raises(AppError) as refused:
        books.post([replace(original, **changes)])
    assert refused.value.code == "ledger.transfer_exists_with_different_fields"
    assert refused.value.details["fields"] == fields


def test_a_posting_that_is_partly_known_is_refused() -> None:
    books = Books()
    first = t("k", 0, PPH21_AUG, REVENUE_PPH21, 1_000, TransferCode.LIABILITY_RECORDED)
    books.post([first])
    with pytest.raises(AppError) as refused:
        books.post([first, t("k", 1, BANK, PPH21_AUG, 1_000, TransferCode.PAYMENT_APPLIED)])
    assert refused.value.code == "ledger.posting_partly_posted"


GOOD = t("g", 0, PPH21_AUG, REVENUE_PPH21, 1_000, TransferCode.LIABILITY_RECORDED)
UNKNOWN_ACCOUNT = open_account(deposit_key("0831326657201000"))


@pytest.mark.parametrize("transfers, code, index", [
    ([], "ledger.posting_empty", None),
    ([GOOD, replace(GOOD, amount=D(5))], "ledger.transfer_id_duplicate", 1),
    ([replace(GOOD, amount=D(0))], "ledger.amount_invalid", 0),
    ([replace(GOOD, amount=D(-10))], "ledger.amount_invalid", 0),
    ([replace(GOOD, amount=D("10.50"))], "ledger.amount_invalid", 0),
    ([replace(GOOD, amount=D("NaN"))], "ledger.amount_invalid", 0),
    ([replace(GOOD, amount=10.0)], "ledger.amount_invalid", 0),
    ([replace(GOOD, amount=10)], "ledger.amount_invalid", 0),
    ([replace(GOOD, credit_account_id=PPH21_AUG.id)], "ledger.accounts_must_be_different", 0),
    ([GOOD, t("g", 1, UNKNOWN_ACCOUNT, BANK, 5, TransferCode.DEPOSIT_REFUNDED)], "ledger.account_not_found", 1),
    ([replace(GOOD, ledger=840)], "ledger.ledger_mismatch", 0),
    ([t("g", 0, BANK, DEPOSIT_A, 5, TransferCode.PAYMENT_APPLIED)], "ledger.code_not_allowed", 0),
    ([t("g", 0, REVENUE_PPH21, PPH21_AUG, 5, TransferCode.LIABILITY_RECORDED)], "ledger.code_not_allowed", 0),
    ([replace(GOOD, code=99)], "ledger.code_not_allowed", 0),
])
def test_refusals(transfers: list[Transfer], code: str, index: int | None) -> None:
    with pytest.raises(AppError) as refused:
        post(OPEN, transfers, existing={})
    assert refused.value.code == code
    assert refused.value.details.get("index") == index


def test_a_refused_posting_changes_nothing() -> None:
    snapshot = dict(OPEN)
    with pytest.raises(AppError):
        post(OPEN, [GOOD, t("g", 1, BANK, PPH21_AUG, 1_001, TransferCode.PAYMENT_APPLIED)], existing={})
    assert snapshot == OPEN


def test_a_ledger_mismatch_between_the_accounts_is_refused_too() -> None:
    dollars = replace(DEPOSIT_B, ledger=840)
    with pytest.raises(AppError) as refused:
        post({**OPEN, dollars.id: dollars}, [t("x", 0, DEPOSIT_A, dollars, 1, TransferCode.DEPOSIT_TRANSFERRED)],
             existing={})
    assert refused.value.code == "ledger.ledger_mismatch"


def test_books_balance_and_balances_are_derived_from_the_transfers() -> None:
    books = Books()
    books.post(record(STP, REVENUE_STP, 2_000_000, "stp-1"))
    books.post(record(PPH21_AUG, REVENUE_PPH21, 900_000, "spt-1"))
    for n in range(1, 5):
        books.post([t(f"pay-{n}", 0, BANK, STP, 250_000, TransferCode.PAYMENT_APPLIED)])
    books.post([t("top", 0, BANK, DEPOSIT_A, 1_000_000, TransferCode.DEPOSIT_TOPPED_UP)])
    books.post([t("alloc", 0, DEPOSIT_A, PPH21_AUG, 900_000, TransferCode.DEPOSIT_ALLOCATED)])
    books.post([t("reduce", 0, REVENUE_STP, STP, 400_000, TransferCode.LIABILITY_REDUCED)])
    books.post([t("skplb", 0, REVENUE_STP, DEPOSIT_B, 10_000, TransferCode.OVERPAYMENT_TO_DEPOSIT)])

    assert trial_balance(books.accounts.values()) == 0
    derived = derive_totals(books.transfers.values())
    for account in books.accounts.values():
        assert derived.get(account.id, (0, 0)) == (account.debits_posted, account.credits_posted)
    # debts recorded minus payments, allocations and reductions
    position = taxpayer_position(books.accounts.values(), NPWP_A)
    assert (position.owed, position.deposit) == (D(2_900_000 - 1_000_000 - 900_000 - 400_000), D(100_000))
    assert taxpayer_position(books.accounts.values(), NPWP_B).deposit == D(10_000)


@pytest.mark.parametrize("key_args, valid", [
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "npwp": NPWP_A, "kap_kjs": "411121-100", "period": "2025-08"}, True),
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "npwp": NPWP_A, "kap_kjs": "411121-300", "assessment_number": "1"},
     True),
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "npwp": NPWP_A, "kap_kjs": "411121-100"}, False),
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "npwp": NPWP_A, "kap_kjs": "411121-100", "period": "2025-08",
      "assessment_number": "1"}, False),
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "kap_kjs": "411121-100", "period": "2025-08"}, False),
    ({"kind": AccountKind.TAXPAYER_LIABILITY, "npwp": NPWP_A, "kap_kjs": "411121-100", "period": ""}, False),
    ({"kind": AccountKind.TAXPAYER_DEPOSIT, "npwp": NPWP_A}, True),
    ({"kind": AccountKind.TAXPAYER_DEPOSIT, "npwp": NPWP_A, "kap_kjs": "411618-100"}, False),
    ({"kind": AccountKind.BANK_SETTLEMENT, "bank_code": "002"}, True),
    ({"kind": AccountKind.BANK_SETTLEMENT, "bank_code": "002", "npwp": NPWP_A}, False),
    ({"kind": AccountKind.STATE_REVENUE, "kap_kjs": "411121-100"}, True),
    ({"kind": AccountKind.STATE_REVENUE}, False),
])
def test_account_keys(key_args: dict[str, object], valid: bool) -> None:
    if valid:
        AccountKey(**key_args)  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError):
        AccountKey(**key_args)  # type: ignore[arg-type]


def test_ids_are_derived_so_retries_and_lookups_need_no_state() -> None:
    assert account_id(liability_key(NPWP_A, "411121-100", period="2025-08")) == PPH21_AUG.id
    assert len({a.id for a in OPEN.values()}) == len(OPEN)
    assert liability_key(NPWP_A, "411121-100", period="2025-08").name == \
        "taxpayer_liability:0013121660091000:411121-100:period=2025-08"
    assert transfer_id("pay:002:REF1", 0) == transfer_id("pay:002:REF1", 0) != transfer_id("pay:002:REF1", 1)
    assert transfer_id("pay:002:REF1", 0) != transfer_id("pay:002:REF2", 0)


@pytest.mark.parametrize("account, code, normal, flags", [
    (PPH21_AUG, 1100, "debit", AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS),
    (BANK, 1200, "debit", AccountFlag.NONE),
    (DEPOSIT_A, 2100, "credit", AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS),
    (REVENUE_PPH21, 4100, "credit", AccountFlag.NONE),
])
def test_account_kinds(account: Account, code: int, normal: str, flags: AccountFlag) -> None:
    assert (account.code, account.flags, account.ledger) == (code, flags, 360)
    moved = account.posted(debit=D(10), credit=D(3))
    assert moved.balance == (D(7) if normal == "debit" else D(-7))


@pytest.mark.parametrize("kap_kjs, period, codes, settled_kind", [
    ("411121-100", "2025-08", [TransferCode.LIABILITY_RECORDED, TransferCode.PAYMENT_APPLIED],
     AccountKind.TAXPAYER_LIABILITY),
    ("411618-100", None, [TransferCode.DEPOSIT_TOPPED_UP], AccountKind.TAXPAYER_DEPOSIT),
])
def test_a_bank_payment_posts_the_same_ids_on_every_retry_and_leaves_the_liability_settled(
        kap_kjs: str, period: str | None, codes: list[TransferCode], settled_kind: AccountKind) -> None:
    def posting() -> Posting:
        return payment_posting(bank_id="002", bank_reference="REF-9", npwp=NPWP_A, kap_kjs=kap_kjs, period=period,
                               assessment_number=None, amount=D(750_000), ntpn="0A1B2C3D4E5F6G7H")

    first, retry = posting(), posting()
    assert first == retry and [t.code for t in first.transfers] == codes
    accounts = {a.id: a for a in (open_account(k) for k in first.accounts)}
    result = post(accounts, first.transfers, existing={})
    assert trial_balance(result.accounts.values()) == 0
    [settled] = [a for a in result.accounts.values() if a.key.kind is settled_kind]
    assert settled.balance == (0 if settled_kind is AccountKind.TAXPAYER_LIABILITY else D(750_000))
    again = post(accounts, retry.transfers, existing={t.id: t for t in result.created})
    assert again.already_posted
