"""All SQL of the returns slice: the invoice facts, the SPT Masa PPN aggregates and the SPT rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from filing.returns.models import ppn_input, ppn_input_credit, ppn_output, ppn_return, spt
from filing.returns.prefill import (
    CreditFact,
    InputChange,
    InvoiceFact,
    OutputChange,
    ReturnFact,
)
from filing.returns.spt_masa_ppn import CodeAmounts

_AMOUNTS = ("dpp", "dpp_other", "ppn", "ppnbm")

# InvoiceSigned for a run of invoices: a new row, or a pending one (a nota retur or a credit came first) becomes
# signed; the rows that became signed now (a duplicate, or an invoice already void, is not one) are added to their
# sellers' output (`InvoiceFact.output`, summed per row in key order as `prefill.merge` does), in the same statement.
_SIGN = text("""
    WITH signed AS (
        INSERT INTO ppn_invoice AS i (invoice_id, state, seller_npwp, buyer_npwp, transaction_code, period,
                                      dpp, dpp_other, ppn, ppnbm)
        SELECT v.invoice_id, 'signed', v.seller_npwp, v.buyer_npwp, v.transaction_code, v.period,
               v.dpp, v.dpp_other, v.ppn, v.ppnbm
        FROM unnest(CAST(:ids AS text[]), CAST(:sellers AS text[]), CAST(:buyers AS text[]), CAST(:codes AS text[]),
                    CAST(:periods AS text[]), CAST(:dpp AS numeric[]), CAST(:dpp_other AS numeric[]),
                    CAST(:ppn AS numeric[]), CAST(:ppnbm AS numeric[]))
             AS v(invoice_id, seller_npwp, buyer_npwp, transaction_code, period, dpp, dpp_other, ppn, ppnbm)
        ON CONFLICT (invoice_id) DO UPDATE
           SET state = 'signed', seller_npwp = excluded.seller_npwp, buyer_npwp = excluded.buyer_npwp,
               transaction_code = excluded.transaction_code, period = excluded.period, dpp = excluded.dpp,
               dpp_other = excluded.dpp_other, ppn = excluded.ppn, ppnbm = excluded.ppnbm, updated_at = now()
           WHERE i.state = 'pending'
        RETURNING i.seller_npwp, i.period, i.transaction_code, i.dpp, i.dpp_other, i.ppn, i.ppnbm)
    INSERT INTO ppn_output AS o (npwp, period, transaction_code, invoices, dpp, dpp_other, ppn, ppnbm)
    SELECT seller_npwp, period, transaction_code, count(*), sum(dpp), sum(dpp_other), sum(ppn), sum(ppnbm)
    FROM signed GROUP BY seller_npwp, period, transaction_code ORDER BY seller_npwp, period, transaction_code
    ON CONFLICT (npwp, period, transaction_code) DO UPDATE
       SET invoices = o.invoices + excluded.invoices, dpp = o.dpp + excluded.dpp,
           dpp_other = o.dpp_other + excluded.dpp_other, ppn = o.ppn + excluded.ppn, ppnbm = o.ppnbm + excluded.ppnbm,
           updated_at = now()""")

# The rows of a run's invoices, made pending if no event named them before, locked for the rest of the transaction
# (in key order: two transactions never wait for each other's rows in opposite orders): every fact about an invoice
# is applied under this lock, so a credit and a cancellation cannot pass each other.
_LOCK = text("""
    INSERT INTO ppn_invoice AS i (invoice_id, state, seller_npwp, buyer_npwp, transaction_code, period)
    SELECT v.invoice_id, 'pending', v.seller_npwp, v.buyer_npwp, v.transaction_code, v.period
    FROM unnest(CAST(:ids AS text[]), CAST(:sellers AS text[]), CAST(:buyers AS text[]), CAST(:codes AS text[]),
                CAST(:periods AS text[])) AS v(invoice_id, seller_npwp, buyer_npwp, transaction_code, period)
    ORDER BY v.invoice_id
    ON CONFLICT (invoice_id) DO UPDATE SET period = coalesce(i.period, excluded.period)
    RETURNING i.invoice_id, i.state, i.seller_npwp, i.buyer_npwp, i.transaction_code, i.period, i.dpp, i.dpp_other,
              i.ppn, i.ppnbm""")

_VOID = text("""
    UPDATE ppn_invoice AS i SET state = v.state, replaced_by = v.replaced_by, updated_at = now()
    FROM unnest(CAST(:ids AS text[]), CAST(:states AS text[]), CAST(:replaced_by AS text[]))
         AS v(invoice_id, state, replaced_by)
    WHERE i.invoice_id = v.invoice_id""")

_RETURN_FLAGS = text("""
    UPDATE ppn_return AS r SET seller_counted = v.seller_counted, buyer_counted = v.buyer_counted
    FROM unnest(CAST(:ids AS text[]), CAST(:seller AS boolean[]), CAST(:buyer AS boolean[]))
         AS v(return_id, seller_counted, buyer_counted)
    WHERE r.return_id = v.return_id""")

_CREDITS_COUNTED = text("""
    UPDATE ppn_input_credit AS c SET counted = v.counted
    FROM unnest(CAST(:ids AS text[]), CAST(:counted AS boolean[])) AS v(invoice_id, counted)
    WHERE c.invoice_id = v.invoice_id""")

_ADD_OUTPUT = text("""
    INSERT INTO ppn_output AS o (npwp, period, transaction_code, invoices, dpp, dpp_other, ppn, ppnbm, returns,
                                 returned_dpp, returned_dpp_other, returned_ppn, returned_ppnbm)
    SELECT * FROM unnest(CAST(:npwp AS text[]), CAST(:period AS text[]), CAST(:code AS text[]),
                         CAST(:invoices AS int[]), CAST(:dpp AS numeric[]), CAST(:dpp_other AS numeric[]),
                         CAST(:ppn AS numeric[]), CAST(:ppnbm AS numeric[]), CAST(:returns AS int[]),
                         CAST(:r_dpp AS numeric[]), CAST(:r_dpp_other AS numeric[]), CAST(:r_ppn AS numeric[]),
                         CAST(:r_ppnbm AS numeric[]))
    ON CONFLICT (npwp, period, transaction_code) DO UPDATE
       SET invoices = o.invoices + excluded.invoices, dpp = o.dpp + excluded.dpp,
           dpp_other = o.dpp_other + excluded.dpp_other, ppn = o.ppn + excluded.ppn, ppnbm = o.ppnbm + excluded.ppnbm,
           returns = o.returns + excluded.returns, returned_dpp = o.returned_dpp + excluded.returned_dpp,
           returned_dpp_other = o.returned_dpp_other + excluded.returned_dpp_other,
           returned_ppn = o.returned_ppn + excluded.returned_ppn,
           returned_ppnbm = o.returned_ppnbm + excluded.returned_ppnbm, updated_at = now()""")

_ADD_INPUT = text("""
    INSERT INTO ppn_input AS i (npwp, period, credited_invoices, credited_ppn, returns, returned_ppn)
    SELECT * FROM unnest(CAST(:npwp AS text[]), CAST(:period AS text[]), CAST(:credited AS int[]),
                         CAST(:credited_ppn AS numeric[]), CAST(:returns AS int[]), CAST(:returned_ppn AS numeric[]))
    ON CONFLICT (npwp, period) DO UPDATE
       SET credited_invoices = i.credited_invoices + excluded.credited_invoices,
           credited_ppn = i.credited_ppn + excluded.credited_ppn, returns = i.returns + excluded.returns,
           returned_ppn = i.returned_ppn + excluded.returned_ppn, updated_at = now()""")

_ADD_RETURNS = insert(ppn_return).on_conflict_do_nothing()
_ADD_CREDITS = insert(ppn_input_credit).on_conflict_do_nothing()


def _amounts(row: Any) -> CodeAmounts:
    return CodeAmounts(*(Decimal(getattr(row, name)) for name in _AMOUNTS))


def _invoice(row: Any) -> InvoiceFact:
    return InvoiceFact(row.invoice_id, row.state, row.seller_npwp, row.buyer_npwp,
                       row.transaction_code, row.period, _amounts(row))


@dataclass(frozen=True)
class OutputRow:
    transaction_code: str
    invoices: int
    amounts: CodeAmounts
    returns: int
    returned: CodeAmounts


@dataclass(frozen=True)
class InputRow:
    credited_invoices: int
    credited_ppn: Decimal
    returns: int
    returned_ppn: Decimal


@dataclass(frozen=True)
class SptRow:
    id: uuid.UUID
    npwp: str
    form: str
    period: str
    version: int
    status: str
    other_input_ppn: Decimal
    compensation: Decimal
    revision: int
    updated_at: datetime
    filed_at: datetime | None
    figures: dict[str, Any] = field(default_factory=dict)  # a data-driven form's entries
    attachments: list[str] = field(default_factory=list)


class PrefillRepository:
    """The invoice facts and the aggregates. Never commits: the consumer's transaction does."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sign_invoices(self, facts: Sequence[InvoiceFact]) -> None:
        """Record signed invoices (one fact per invoice id) and add the ones that became signed now to their sellers'
        output: one statement, no rows back."""
        if facts:
            await self.session.execute(_SIGN, {
                "ids": [f.invoice_id for f in facts], "sellers": [f.seller_npwp for f in facts],
                "buyers": [f.buyer_npwp for f in facts], "codes": [f.transaction_code for f in facts],
                "periods": [f.period for f in facts], **{name: [getattr(f.amounts, name) for f in facts]
                                                         for name in _AMOUNTS}})

    async def lock_invoices(self, keys: Sequence[InvoiceFact]) -> list[InvoiceFact]:
        """The invoices' rows (pending when no event named them yet; one key per invoice id), locked until the
        transaction ends."""
        if not keys:
            return []
        rows = await self.session.execute(_LOCK, {
            "ids": [k.invoice_id for k in keys], "sellers": [k.seller_npwp for k in keys],
            "buyers": [k.buyer_npwp for k in keys], "codes": [k.transaction_code for k in keys],
            "periods": [k.period for k in keys]})
        return [_invoice(row) for row in rows]

    async def void_invoices(self, voided: Sequence[tuple[str, str, str | None]]) -> None:
        """(invoice id, state, replaced by): the invoices stop counting (their nota retur and credits are set by
        `set_return_flags` and `set_credits_counted`)."""
        if voided:
            await self.session.execute(_VOID, {"ids": [v[0] for v in voided], "states": [v[1] for v in voided],
                                               "replaced_by": [v[2] for v in voided]})

    async def returns_of(self, invoice_ids: Sequence[str], return_ids: Sequence[str] = ()) -> list[ReturnFact]:
        """The nota retur against these invoices, and any with these ids."""
        if not invoice_ids and not return_ids:
            return []
        rows = await self.session.execute(select(ppn_return).where(
            ppn_return.c.invoice_id.in_(invoice_ids) | ppn_return.c.return_id.in_(return_ids))
            .order_by(ppn_return.c.return_id))
        return [ReturnFact(r.return_id, r.invoice_id, r.seller_npwp, r.buyer_npwp, r.period, r.transaction_code,
                           _amounts(r), r.seller_counted, r.buyer_counted) for r in rows]

    async def add_returns(self, facts: Sequence[ReturnFact]) -> None:
        if facts:
            await self.session.execute(_ADD_RETURNS, [{
                "return_id": f.return_id, "invoice_id": f.invoice_id, "seller_npwp": f.seller_npwp,
                "buyer_npwp": f.buyer_npwp, "period": f.period, "transaction_code": f.transaction_code,
                **{name: getattr(f.amounts, name) for name in _AMOUNTS}, "seller_counted": f.seller_counted,
                "buyer_counted": f.buyer_counted} for f in facts])

    async def set_return_flags(self, facts: Sequence[ReturnFact]) -> None:
        """Which side each nota retur counts for, as in `facts`."""
        if facts:
            await self.session.execute(_RETURN_FLAGS, {"ids": [f.return_id for f in facts],
                                                       "seller": [f.seller_counted for f in facts],
                                                       "buyer": [f.buyer_counted for f in facts]})

    async def credits_of(self, invoice_ids: Sequence[str]) -> list[CreditFact]:
        if not invoice_ids:
            return []
        rows = await self.session.execute(select(ppn_input_credit).where(
            ppn_input_credit.c.invoice_id.in_(invoice_ids)))
        return [CreditFact(r.invoice_id, r.buyer_npwp, r.seller_npwp, r.action, r.period, r.invoice_period,
                           Decimal(r.ppn), Decimal(r.ppnbm), r.counted) for r in rows]

    async def add_credits(self, facts: Sequence[CreditFact]) -> None:
        if facts:
            await self.session.execute(_ADD_CREDITS, [{
                "invoice_id": f.invoice_id, "buyer_npwp": f.buyer_npwp, "seller_npwp": f.seller_npwp,
                "action": f.action, "period": f.period, "invoice_period": f.invoice_period, "ppn": f.ppn,
                "ppnbm": f.ppnbm, "counted": f.counted} for f in facts])

    async def set_credits_counted(self, facts: Sequence[CreditFact]) -> None:
        if facts:
            await self.session.execute(_CREDITS_COUNTED, {"ids": [f.invoice_id for f in facts],
                                                          "counted": [f.counted for f in facts]})

    async def add_output(self, changes: Sequence[OutputChange]) -> None:
        if not changes:
            return
        await self.session.execute(_ADD_OUTPUT, {
            "npwp": [c.npwp for c in changes], "period": [c.period for c in changes],
            "code": [c.transaction_code for c in changes], "invoices": [c.invoices for c in changes],
            **{name: [getattr(c.amounts, name) for c in changes] for name in _AMOUNTS},
            "returns": [c.returns for c in changes],
            **{f"r_{name}": [getattr(c.returned, name) for c in changes] for name in _AMOUNTS}})

    async def add_input(self, changes: Sequence[InputChange]) -> None:
        if not changes:
            return
        await self.session.execute(_ADD_INPUT, {
            "npwp": [c.npwp for c in changes], "period": [c.period for c in changes],
            "credited": [c.credited_invoices for c in changes], "credited_ppn": [c.credited_ppn for c in changes],
            "returns": [c.returns for c in changes], "returned_ppn": [c.returned_ppn for c in changes]})

    # -- reading the draft ---------------------------------------------------------------------------------------
    async def draft_of(self, npwp: str, form: str, period: str) -> tuple[list[OutputRow], InputRow, SptRow | None]:
        """The period's output rows, its input row and the open version of the return, in one round trip (the
        draft read's statements are most of its cost)."""
        one = select(literal(1).label("one")).subquery()
        query = (select(*_DRAFT_SPT, *_DRAFT_INPUT, ppn_output)
                 .select_from(one.outerjoin(ppn_input, and_(ppn_input.c.npwp == npwp, ppn_input.c.period == period))
                              .outerjoin(spt, and_(spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period,
                                                   spt.c.status != "filed"))
                              .outerjoin(ppn_output, and_(ppn_output.c.npwp == npwp,
                                                          ppn_output.c.period == period)))
                 .order_by(ppn_output.c.transaction_code))
        rows = (await self.session.execute(query)).all()
        first = rows[0]
        draft = SptRow(*(getattr(first, c.name) for c in _DRAFT_SPT)) if first.spt_id is not None else None
        inputs = _input_row(first if first.input_npwp is not None else None, prefix="input_")
        return [_output_row(r) for r in rows if r.transaction_code is not None], inputs, draft


def _output_row(r: Any) -> OutputRow:
    return OutputRow(r.transaction_code, r.invoices, _amounts(r), r.returns,
                     CodeAmounts(r.returned_dpp, r.returned_dpp_other, r.returned_ppn, r.returned_ppnbm))


def _input_row(r: Any, prefix: str = "") -> InputRow:
    if r is None:
        return InputRow(0, Decimal(0), 0, Decimal(0))
    return InputRow(*(getattr(r, prefix + name) for name in ("credited_invoices", "credited_ppn", "returns",
                                                              "returned_ppn")))


SPT_COLUMNS = _SPT_COLUMNS = (spt.c.id, spt.c.npwp, spt.c.form, spt.c.period, spt.c.version, spt.c.status, spt.c.other_input_ppn,
                spt.c.compensation, spt.c.revision, spt.c.updated_at, spt.c.filed_at, spt.c.figures,
                spt.c.attachments)
# the draft read's columns of `spt` and `ppn_input`, named apart from `ppn_output`'s
_DRAFT_SPT = tuple(c.label(f"spt_{c.name}") for c in _SPT_COLUMNS)
_DRAFT_INPUT = tuple(ppn_input.c[name].label(f"input_{name}")
                     for name in ("npwp", "credited_invoices", "credited_ppn", "returns", "returned_ppn"))


class SptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_return(self, npwp: str, form: str, period: str, *, lock: bool = False) -> SptRow | None:
        """The version being prepared (draft or awaiting payment), if any."""
        query = select(*_SPT_COLUMNS).where(spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period,
                                            spt.c.status != "filed")
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return SptRow(*row) if row is not None else None

    async def versions(self, npwp: str, form: str, period: str) -> list[int]:
        rows = await self.session.execute(select(spt.c.version).where(
            spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period).order_by(spt.c.version))
        return list(rows.scalars())

    async def add_draft(self, *, npwp: str, form: str, period: str, version: int,
                        spt_id: uuid.UUID | None = None) -> bool:
        """False when another request created the open version meanwhile."""
        row = (await self.session.execute(insert(spt).values(
            id=spt_id or uuid.uuid4(), npwp=npwp, form=form, period=period, version=version, status="draft", revision=0)
            .on_conflict_do_nothing().returning(spt.c.id))).first()
        return row is not None

    async def set_entries(self, spt_id: uuid.UUID, *, figures: dict[str, Any], attachments: list[str]) -> None:
        """A data-driven form's entries, replacing the draft's."""
        await self.session.execute(update(spt).where(spt.c.id == spt_id).values(
            figures=figures, attachments=attachments, revision=spt.c.revision + 1, updated_at=func.now()))

    async def filed_versions(self, npwp: str, form: str, period: str) -> list[SptRow]:
        rows = await self.session.execute(select(*_SPT_COLUMNS).where(
            spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period, spt.c.status == "filed")
            .order_by(spt.c.version))
        return [SptRow(*r) for r in rows]

    async def set_figures(self, spt_id: uuid.UUID, *, other_input_ppn: Decimal, compensation: Decimal) -> None:
        await self.session.execute(update(spt).where(spt.c.id == spt_id).values(
            other_input_ppn=other_input_ppn, compensation=compensation, revision=spt.c.revision + 1,
            updated_at=func.now()))


ReturnKey = tuple[str, str, str]  # (npwp, form, period)
# over arrays: one statement compiled once whatever the number of rows (`add_draft`'s conflict rule)
_ADD_DRAFTS = text("""
    INSERT INTO spt (id, npwp, form, period, version, status, revision)
    SELECT v.id, v.npwp, v.form, v.period, v.version, 'draft', 0
    FROM unnest(CAST(:id AS uuid[]), CAST(:npwp AS text[]), CAST(:form AS text[]), CAST(:period AS text[]),
                CAST(:version AS int[])) AS v(id, npwp, form, period, version)
    ON CONFLICT DO NOTHING
    RETURNING id""")


def _spt_key(row: Any) -> ReturnKey:
    return (row.npwp, row.form, row.period)


def _keys_table(keys: Sequence[ReturnKey]) -> Any:
    """The returns asked as a table k(npwp, form, period), joined exactly (one statement, compiled once)."""
    columns = zip(*sorted(set(keys)), strict=True)
    return func.unnest(*(literal(list(c), ARRAY(Text)) for c in columns)).table_valued(
        "npwp", "form", "period").render_derived(name="k")


def _keyed(k: Any) -> Any:
    return and_(spt.c.npwp == k.c.npwp, spt.c.form == k.c.form, spt.c.period == k.c.period)


class ReturnsBatchRepository:
    """The reads and writes of many returns at once (a batch of submissions), a statement each whatever the count.
    The returns asked are joined exactly; the prefill and open drafts of many (npwp, period) are read by
    `npwp = ANY(...)`, `period = ANY(...)` (a superset on the same indexes, kept for the pairs asked)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def versions_of(self, keys: Sequence[ReturnKey]) -> dict[ReturnKey, list[SptRow]]:
        """Every version (open and filed) of each return, oldest first."""
        found: dict[ReturnKey, list[SptRow]] = {k: [] for k in keys}
        if not keys:
            return found
        k = _keys_table(keys)
        rows = await self.session.execute(select(*_SPT_COLUMNS).join_from(spt, k, _keyed(k)).order_by(spt.c.version))
        for r in rows:
            found[_spt_key(r)].append(SptRow(*r))
        return found

    async def lock_open_returns(self, keys: Sequence[ReturnKey]) -> dict[ReturnKey, SptRow]:
        """The open version of each return that has one, locked in id order (two batches never wait for each
        other's rows in opposite orders)."""
        if not keys:
            return {}
        k = _keys_table(keys)
        rows = await self.session.execute(select(*_SPT_COLUMNS).join_from(spt, k, _keyed(k))
                                          .where(spt.c.status != "filed").order_by(spt.c.id).with_for_update(of=spt))
        return {_spt_key(r): SptRow(*r) for r in rows}

    async def add_drafts(self, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """New open versions ({id, npwp, form, period, version}); the ids inserted (not those another request
        started meanwhile: `add_draft`'s False)."""
        if not rows:
            return set()
        inserted = await self.session.execute(_ADD_DRAFTS, {name: [r[name] for r in rows]
                                                            for name in ("id", "npwp", "form", "period", "version")})
        return set(inserted.scalars())

    async def prefill_of(self, npwps: Sequence[str], periods: Sequence[str]
                         ) -> tuple[dict[tuple[str, str], list[OutputRow]], dict[tuple[str, str], InputRow]]:
        """The SPT Masa PPN aggregates (output rows by transaction code, input row) of many (npwp, period): two
        statements. A pair without rows is absent."""
        outputs: dict[tuple[str, str], list[OutputRow]] = {}
        inputs: dict[tuple[str, str], InputRow] = {}
        if not npwps:
            return outputs, inputs
        names, months = sorted(set(npwps)), sorted(set(periods))
        for r in await self.session.execute(select(ppn_output).where(
                ppn_output.c.npwp == func.any(names), ppn_output.c.period == func.any(months))
                .order_by(ppn_output.c.npwp, ppn_output.c.period, ppn_output.c.transaction_code)):
            outputs.setdefault((r.npwp, r.period), []).append(_output_row(r))
        for r in await self.session.execute(select(ppn_input).where(
                ppn_input.c.npwp == func.any(names), ppn_input.c.period == func.any(months))):
            inputs[(r.npwp, r.period)] = _input_row(r)
        return outputs, inputs

    async def open_returns(self, npwps: Sequence[str], form: str, periods: Sequence[str]
                           ) -> dict[tuple[str, str], SptRow]:
        """The open version of `form` of many (npwp, period), keyed so (not locked)."""
        if not npwps:
            return {}
        rows = await self.session.execute(select(*_SPT_COLUMNS).where(
            spt.c.npwp == func.any(sorted(set(npwps))), spt.c.form == form,
            spt.c.period == func.any(sorted(set(periods))), spt.c.status != "filed"))
        return {(r.npwp, r.period): SptRow(*r) for r in rows}
