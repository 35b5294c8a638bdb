"""API models of the debts slice: a taxpayer's debts, and the legacy import's reconciliation report. Amounts are
rupiah written as digit strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from payment.billing.amount import amount_text
from payment.billing.kap_kjs import rule_for
from payment.billing.validity import status_at
from payment.debts.legacy import OUTCOMES, Reconciliation, Rejection, Tally
from payment.models import Billing, Debt


class DebtBillingRead(BaseModel):
    """The debt's billing code that is payable (or paid): at most one at a time."""

    code: str
    status: Literal["active", "paid", "expired"]
    expires_at: datetime


class DebtRead(BaseModel):
    id: uuid.UUID
    npwp: str
    kind: Literal["stp", "skpkb", "skpkbt", "spt_underpayment"]
    kap_kjs: str
    kap_name: str
    kjs_name: str
    period: str | None = Field(description="the tax period it is for, when known")
    assessment_number: str | None = Field(description="the STP/SKP number")
    amount: str
    outstanding: str = Field(description="still owed: the amount, plus instalment interest granted, less what paid it")
    issued_on: date
    due_date: date
    status: Literal["open", "settled"]
    legacy: bool = Field(description="imported from the system before Coretax")
    source: Literal["stp", "skp", "legacy", "spt"] = Field(
        description="spt: an annual SPT's PPh 29 whose payment in instalments was granted")
    source_reference: str = Field(description="filing's STP/SKP/SPT id, or the legacy system's reference")
    recorded_at: datetime
    settled_at: datetime | None = Field(description="the payment date of the payment that settled it")
    ntpn: str | None
    billing: DebtBillingRead | None = Field(
        description="the code to pay it with, while one is payable; make one with POST .../billing-code")

    @classmethod
    def of(cls, debt: Debt, billing: Billing | None, now: datetime) -> DebtRead:
        rule = rule_for(debt.kap_kjs)
        code = None
        if billing is not None:
            code = DebtBillingRead(code=billing.code, expires_at=billing.expires_at,
                                   status=status_at(billing.status, billing.expires_at, now))  # type: ignore[arg-type]
        return cls(id=debt.id, npwp=debt.npwp, kind=debt.kind,  # type: ignore[arg-type]
                   kap_kjs=debt.kap_kjs, kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=debt.period,
                   assessment_number=debt.assessment_number, amount=amount_text(debt.amount),
                   outstanding=amount_text(debt.outstanding), issued_on=debt.issued_on, due_date=debt.due_date,
                   status=debt.status,  # type: ignore[arg-type]
                   legacy=debt.legacy, source=debt.source,  # type: ignore[arg-type]
                   source_reference=debt.source_reference, recorded_at=debt.recorded_at,
                   settled_at=debt.settled_at, ntpn=debt.ntpn, billing=code)


class DebtPage(BaseModel):
    npwp: str
    items: list[DebtRead]
    next_cursor: str | None


# -- the legacy import's reconciliation report -------------------------------------------------------------------
def _text(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount:f}"


class TallyRead(BaseModel):
    rows: int
    amount: str = Field(description="sum of the rows' amounts (rows whose amount is not a number add nothing)")

    @classmethod
    def of(cls, tally: Tally) -> TallyRead:
        return cls(rows=tally.rows, amount=_text(tally.amount))


class KapKjsReconciliation(BaseModel):
    kap_kjs: str = Field(description="as written in the file")
    file: TallyRead
    imported: TallyRead
    already_imported: TallyRead
    rejected: TallyRead


class RejectedRow(BaseModel):
    line: int = Field(description="line of the file (the header is line 1)")
    legacy_reference: str | None
    kap_kjs: str
    amount: str | None = Field(description="as a number; null when it is not one")
    code: str = Field(description="stable code: see the import's description")
    detail: str

    @classmethod
    def of(cls, r: Rejection) -> RejectedRow:
        return cls(line=r.line, legacy_reference=r.reference, kap_kjs=r.kap_kjs,
                   amount=None if r.amount is None else _text(r.amount), code=r.code, detail=r.detail)


class LegacyImportReport(BaseModel):
    """What became of every row. `file` = `imported` + `already_imported` + `rejected`, for rows and amounts,
    overall and per KAP-KJS (`balanced`)."""

    import_id: uuid.UUID
    file_digest: str = Field(description="SHA-256 of the file as received")
    created_at: datetime
    file: TallyRead
    imported: TallyRead = Field(description="debts recorded by this import, payable at once")
    already_imported: TallyRead = Field(description="rows an earlier import recorded, identical: nothing new")
    rejected: TallyRead
    unreadable_amounts: int = Field(description="rows whose amount is not a number (counted, adding nothing)")
    balanced: bool
    by_kap_kjs: list[KapKjsReconciliation]
    rejections_by_code: dict[str, int]
    rejections: list[RejectedRow] = Field(description="each rejected row with its reason, in file order")
    rejections_complete: bool = Field(description="false when more rows were rejected than are listed")
    events_written: int = Field(description="`DebtRecorded` events written so far, one per debt imported: the "
                                            "worker writes them after the import, within seconds (then the "
                                            "taxpayers' notices follow)")
    events_complete: bool = Field(description="every imported debt's `DebtRecorded` is written")

    @classmethod
    def of(cls, import_id: uuid.UUID, digest: str, created_at: datetime,
           reconciliation: Reconciliation) -> LegacyImportReport:
        r = reconciliation
        return cls(
            import_id=import_id, file_digest=digest, created_at=created_at, file=TallyRead.of(r.file),
            **{o: TallyRead.of(r.outcomes[o]) for o in OUTCOMES},
            unreadable_amounts=r.unreadable_amounts, balanced=r.balanced,
            by_kap_kjs=[KapKjsReconciliation(kap_kjs=k, **{o: TallyRead.of(t) for o, t in line.items()})
                        for k, line in sorted(r.by_kap_kjs.items())],
            rejections_by_code=dict(sorted(r.rejections_by_code.items())),
            rejections=[RejectedRow.of(x) for x in sorted(r.rejections, key=lambda x: x.line)],
            rejections_complete=len(r.rejections) == r.outcomes["rejected"].rows,
            events_written=0, events_complete=r.outcomes["imported"].rows == 0,
        )
