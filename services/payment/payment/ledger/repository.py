"""SQL of the ledger: accounts opened by key, transfers inserted once (their primary key is the posting's
idempotency), balances summed from transfers, and the queries of the invariant check."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Text, and_, cast, func, insert, literal, or_, select, text, tuple_, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import CursorParams
from payment.ledger.accounts import Account, AccountKind
from payment.ledger.rules import Transfer, TransferCode
from payment.models import Debt, LedgerAccount, LedgerTransfer, Payment

ZERO = Decimal(0)
_A, _T = LedgerAccount.__table__, LedgerTransfer.__table__

_OPEN = pg_insert(_A).on_conflict_do_nothing(index_elements=["id"])
_INSERT_TRANSFER = insert(_T)


def _sums(account_id: object) -> tuple[object, object]:
    """(debits, credits) of an account, summed from its transfers."""
    debits = (select(func.coalesce(func.sum(_T.c.amount), ZERO)).where(_T.c.debit_account_id == account_id)
              .scalar_subquery())
    credits = (select(func.coalesce(func.sum(_T.c.amount), ZERO)).where(_T.c.credit_account_id == account_id)
               .scalar_subquery())
    return debits, credits


def _account_row(a: Account) -> dict[str, object]:
    return dict(id=a.id, kind=str(a.key.kind), npwp=a.key.npwp, kap_kjs=a.key.kap_kjs, period=a.key.period,
                assessment_number=a.key.assessment_number, bank_code=a.key.bank_code, ledger=a.ledger, code=a.code,
                flags=a.flags.value)


_ACCOUNT_COLUMNS = (("id", "uuid"), ("kind", "text"), ("npwp", "text"), ("kap_kjs", "text"), ("period", "text"),
                    ("assessment_number", "text"), ("bank_code", "text"), ("ledger", "integer"), ("code", "integer"),
                    ("flags", "integer"))
_TRANSFER_COLUMNS = (("id", "uuid"), ("debit_account_id", "uuid"), ("credit_account_id", "uuid"),
                     ("amount", "numeric"), ("ledger", "integer"), ("code", "smallint"), ("reference", "text"),
                     ("effective_at", "timestamptz"))


def _unnest(prefix: str, columns: tuple[tuple[str, str], ...]) -> str:
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"CAST(:{prefix}_{name} AS {kind}[])" for name, kind in columns)
    return f"unnest(CAST(:{prefix}_gate AS uuid[]), {arrays}) AS {prefix[0]}(gate, {names})"


def gated_postings_sql(gate: str) -> tuple[str, str]:
    """Two CTE bodies for a set-based write of many postings (`gated_postings_params`), each posting going in
    exactly when its gate is an `id` of the relation `gate` (e.g. the payments a CTE inserted): the accounts its
    transfers name, opened unless open (in id order, so concurrent writers never wait for each other in a circle),
    then its transfers. The transfers' foreign keys are checked at the end of the statement, after both. A plain
    INSERT of the transfers, as everywhere: a transfer id posted before fails the statement."""
    transfers = f"SELECT t.* FROM {_unnest('transfer', _TRANSFER_COLUMNS)} JOIN {gate} g ON g.id = t.gate"
    names = ", ".join(name for name, _ in _ACCOUNT_COLUMNS)
    arrays = ", ".join(f"CAST(:account_{name} AS {kind}[])" for name, kind in _ACCOUNT_COLUMNS)
    accounts = (f"INSERT INTO account ({names}) SELECT {', '.join(f'a.{n}' for n, _ in _ACCOUNT_COLUMNS)} "
                f"FROM unnest({arrays}) AS a({names}) WHERE a.id IN (SELECT unnest(ARRAY[t.debit_account_id, "
                f"t.credit_account_id]) FROM ({transfers}) t) ORDER BY a.id ON CONFLICT (id) DO NOTHING")
    names = ", ".join(name for name, _ in _TRANSFER_COLUMNS)
    return accounts, f"INSERT INTO transfer ({names}) SELECT {names} FROM ({transfers}) t"


def gated_postings_params(postings: Sequence[tuple[object, Iterable[Account], Iterable[Transfer], datetime]],
                          ) -> dict[str, list[object]]:
    """The parameters of `gated_postings_sql`: per posting its gate, its accounts, its transfers (checked by the
    ledger's rules) and their effective time. Each account goes once, whatever the postings naming it."""
    params: dict[str, list[object]] = {f"account_{n}": [] for n, _ in _ACCOUNT_COLUMNS}
    params |= {f"transfer_{n}": [] for n, _ in _TRANSFER_COLUMNS}
    params["transfer_gate"] = []
    seen: set[uuid.UUID] = set()
    columns = [(name, params[f"transfer_{name}"]) for name in ("gate", "id", "debit_account_id", "credit_account_id",
                                                               "amount", "ledger", "code", "reference",
                                                               "effective_at")]
    for gate, accounts, transfers, effective_at in postings:
        for a in accounts:
            if a.id not in seen:
                seen.add(a.id)
                for name, value in _account_row(a).items():
                    params[f"account_{name}"].append(value)
        for t in transfers:
            for (_, values), value in zip(columns, (gate, t.id, t.debit_account_id, t.credit_account_id, t.amount,
                                                    t.ledger, int(t.code), t.reference, effective_at), strict=True):
                values.append(value)
    return params


@dataclass(frozen=True)
class AccountTotals:
    account: LedgerAccount
    debits: Decimal
    credits: Decimal


@dataclass(frozen=True)
class KindTotals:
    code: int
    debit_kind: str
    credit_kind: str


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_accounts(self, accounts: Iterable[Account]) -> None:
        """Insert the accounts not open yet (an account's id is its key's UUIDv5: opening twice is a no-op)."""
        rows = [dict(id=a.id, kind=str(a.key.kind), npwp=a.key.npwp, kap_kjs=a.key.kap_kjs, period=a.key.period,
                     assessment_number=a.key.assessment_number, bank_code=a.key.bank_code, ledger=a.ledger,
                     code=a.code, flags=a.flags.value) for a in accounts]
        if rows:
            await self.session.execute(_OPEN, rows)

    async def lock_totals(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
        """Lock the accounts (in id order, so two postings never deadlock) and sum their transfers."""
        if not ids:
            return {}
        await self.session.execute(select(_A.c.id).where(_A.c.id.in_(ids)).order_by(_A.c.id).with_for_update())
        debits, credits = _sums(_A.c.id)
        rows = await self.session.execute(select(_A.c.id, debits, credits).where(_A.c.id.in_(ids)))
        return {row[0]: (row[1], row[2]) for row in rows}

    async def transfers(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Transfer]:
        rows = await self.session.execute(select(_T).where(_T.c.id.in_(ids)))
        return {r.id: Transfer(r.id, r.debit_account_id, r.credit_account_id, r.amount, TransferCode(r.code),
                               r.ledger, r.reference) for r in rows}

    async def insert_dated_transfers(self, transfers: Sequence[tuple[Transfer, datetime]]) -> None:
        """A plain INSERT: should the same id ever come twice, the primary key refuses it and the whole
        transaction (payment, posting, event) rolls back."""
        await self.session.execute(_INSERT_TRANSFER, [
            dict(id=t.id, debit_account_id=t.debit_account_id, credit_account_id=t.credit_account_id, amount=t.amount,
                 ledger=t.ledger, code=int(t.code), reference=t.reference, effective_at=effective_at)
            for t, effective_at in transfers])

    # -- set-based recordings (a bulk import) --------------------------------------------------------------------
    async def recordings_not_whole_positive(self, relation: str) -> int:
        return (await self.session.execute(text(
            f"SELECT count(*) FROM {relation} r WHERE NOT (r.amount > 0 AND r.amount = trunc(r.amount))"))
        ).scalar_one()

    async def open_recording_accounts(self, relation: str, *, liability: tuple[int, int],
                                      revenue: tuple[int, int], ledger: int) -> None:
        """The liability and revenue accounts `relation` names (code and flags of each kind), unless open already:
        one statement each whatever the number of rows (an account named twice is opened once)."""
        await self.session.execute(text(
            f"INSERT INTO account (id, kind, npwp, kap_kjs, period, assessment_number, ledger, code, flags) "
            f"SELECT r.liability_id, CAST(:kind AS text), r.npwp, r.kap_kjs, r.period, r.assessment_number, "
            f"CAST(:ledger AS integer), CAST(:code AS integer), CAST(:flags AS integer) "
            f"FROM {relation} r ON CONFLICT (id) DO NOTHING"),
            {"kind": str(AccountKind.TAXPAYER_LIABILITY), "ledger": ledger, "code": liability[0],
             "flags": liability[1]})
        await self.session.execute(text(
            f"INSERT INTO account (id, kind, kap_kjs, ledger, code, flags) "
            f"SELECT DISTINCT r.revenue_id, CAST(:kind AS text), r.kap_kjs, CAST(:ledger AS integer), "
            f"CAST(:code AS integer), CAST(:flags AS integer) FROM {relation} r "
            f"ON CONFLICT (id) DO NOTHING"),
            {"kind": str(AccountKind.STATE_REVENUE), "ledger": ledger, "code": revenue[0], "flags": revenue[1]})

    async def insert_recordings(self, relation: str, *, code: int, ledger: int) -> int:
        """A plain INSERT, as `insert_dated_transfers`: a transfer id that exists already rolls the whole
        transaction back."""
        result = await self.session.execute(text(
            f"INSERT INTO transfer (id, debit_account_id, credit_account_id, amount, ledger, code, reference, "
            f"effective_at) SELECT r.transfer_id, r.liability_id, r.revenue_id, r.amount, :ledger, :code, "
            f"r.reference, r.effective_at FROM {relation} r"), {"ledger": ledger, "code": code})
        return result.rowcount  # type: ignore[attr-defined, no-any-return]

    # -- the taxpayer's ledger (Buku Besar) ----------------------------------------------------------------------
    async def liability_page(self, npwp: str, params: CursorParams) -> tuple[list[AccountTotals], bool]:
        """The taxpayer's liability accounts with their totals, in (created_at, id) order; and whether more
        follow."""
        debits, credits = _sums(LedgerAccount.id)
        query = (select(LedgerAccount, debits, credits)
                 .where(LedgerAccount.npwp == npwp, LedgerAccount.kind == str(AccountKind.TAXPAYER_LIABILITY))
                 .order_by(LedgerAccount.created_at, LedgerAccount.id).limit(params.limit + 1))
        if params.after is not None:
            query = query.where(tuple_(LedgerAccount.created_at, LedgerAccount.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = (await self.session.execute(query)).all()
        return [AccountTotals(r[0], r[1], r[2]) for r in rows[:params.limit]], len(rows) > params.limit

    async def balances_by_kind(self, npwp: str) -> dict[str, Decimal]:
        """Sum of (debits - credits) per account kind over the taxpayer's accounts."""
        debits, credits = _sums(_A.c.id)
        inner = select(_A.c.kind, (debits - credits).label("net")).where(_A.c.npwp == npwp).subquery()
        rows = await self.session.execute(select(inner.c.kind, func.sum(inner.c.net)).group_by(inner.c.kind))
        return {kind: net for kind, net in rows}

    # -- invariants ---------------------------------------------------------------------------------------------
    async def all_totals(self) -> list[tuple[uuid.UUID, str, int, Decimal, Decimal]]:
        """(id, kind, flags, debits, credits) of every account, summed from the transfers."""
        legs = union_all(
            select(_T.c.debit_account_id.label("account_id"), _T.c.amount.label("debit"),
                   literal(ZERO).label("credit")),
            select(_T.c.credit_account_id, literal(ZERO), _T.c.amount),
        ).subquery()
        rows = await self.session.execute(
            select(_A.c.id, _A.c.kind, _A.c.flags, func.coalesce(func.sum(legs.c.debit), ZERO),
                   func.coalesce(func.sum(legs.c.credit), ZERO))
            .select_from(_A.outerjoin(legs, legs.c.account_id == _A.c.id)).group_by(_A.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]

    async def transfer_kinds(self) -> list[KindTotals]:
        """Each distinct (transfer code, debit account kind, credit account kind) posted, and where ledgers differ."""
        debit, credit = _A.alias("d"), _A.alias("c")
        rows = await self.session.execute(
            select(_T.c.code, debit.c.kind, credit.c.kind).distinct()
            .select_from(_T.join(debit, debit.c.id == _T.c.debit_account_id)
                         .join(credit, credit.c.id == _T.c.credit_account_id)))
        return [KindTotals(*r) for r in rows]

    async def ledger_mismatches(self) -> int:
        debit, credit = _A.alias("d"), _A.alias("c")
        return (await self.session.execute(
            select(func.count()).select_from(_T.join(debit, debit.c.id == _T.c.debit_account_id)
                                             .join(credit, credit.c.id == _T.c.credit_account_id))
            .where(or_(_T.c.ledger != debit.c.ledger, _T.c.ledger != credit.c.ledger)))).scalar_one()

    async def payments_not_posted_once(self, codes: Sequence[TransferCode]) -> list[str]:
        """NTPNs of payments without exactly one settling transfer (of `codes`) for exactly their amount."""
        settling = (select(_T.c.reference, func.count().label("n"), func.sum(_T.c.amount).label("total"))
                    .where(_T.c.code.in_([int(c) for c in codes])).group_by(_T.c.reference).subquery())
        rows = await self.session.execute(
            select(Payment.ntpn).outerjoin(settling, settling.c.reference == Payment.ntpn)
            .where(or_(settling.c.n.is_(None), settling.c.n != 1, settling.c.total != Payment.amount)))
        return list(rows.scalars())

    async def debts_not_recorded_once(self, code: TransferCode) -> list[str]:
        """Ids of debts without exactly one recording transfer (`code`, referencing the debt) for their amount."""
        recording = (select(_T.c.reference, func.count().label("n"), func.sum(_T.c.amount).label("total"))
                     .where(_T.c.code == int(code)).group_by(_T.c.reference).subquery())
        rows = await self.session.execute(
            select(cast(Debt.id, Text)).outerjoin(recording, recording.c.reference == cast(Debt.id, Text))
            .where(or_(recording.c.n.is_(None), recording.c.n != 1, recording.c.total != Debt.amount)))
        return list(rows.scalars())

    async def owed_unlike_open_debts(self) -> list[tuple[str, Decimal, Decimal]]:
        """(npwp, owed in the ledger, what open debts still owe) of each taxpayer where the two differ."""
        debits, credits = _sums(_A.c.id)
        nets = (select(_A.c.npwp, (debits - credits).label("net"))
                .where(_A.c.kind == str(AccountKind.TAXPAYER_LIABILITY)).subquery())
        owed = select(nets.c.npwp, func.sum(nets.c.net).label("owed")).group_by(nets.c.npwp).subquery()
        debts = (select(Debt.npwp.label("npwp"), func.sum(Debt.outstanding).label("open"))
                 .where(Debt.status == "open").group_by(Debt.npwp).subquery())
        npwp = func.coalesce(owed.c.npwp, debts.c.npwp)
        in_ledger, in_debts = func.coalesce(owed.c.owed, ZERO), func.coalesce(debts.c.open, ZERO)
        rows = await self.session.execute(
            select(npwp, in_ledger, in_debts).select_from(owed.join(debts, owed.c.npwp == debts.c.npwp, full=True))
            .where(in_ledger != in_debts).order_by(npwp))
        return [(r[0], r[1], r[2]) for r in rows]

    async def settling_transfers_without_payment(self, codes: Sequence[TransferCode]) -> int:
        return (await self.session.execute(
            select(func.count()).select_from(_T.outerjoin(Payment, Payment.ntpn == _T.c.reference))
            .where(and_(_T.c.code.in_([int(c) for c in codes]), Payment.id.is_(None))))).scalar_one()
