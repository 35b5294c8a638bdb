"""API models of the instalments slice. Amounts are whole rupiah written as digit strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.text import text
from payment.billing.amount import amount_text
from payment.models import Instalment, InstalmentArrangement


class ArrangementCreate(BaseModel):
    """An application for instalments (`instalments`: 2 or more monthly payments) or a postponement (`postponed_to`)
    of one of the taxpayer's open debts, or of the PPh 29 of an annual SPT waiting for payment (PMK-81/2024 Art
    113-117): name one, `debt_id` or `spt_id`."""

    model_config = ConfigDict(extra="forbid")

    debt_id: uuid.UUID | None = Field(default=None, description="an open debt (STP, SKP, legacy)")
    spt_id: text(100) | None = Field(default=None, description=(
        "filing's id of an annual SPT submitted with PPh 29 kurang bayar and waiting for payment (its code is listed "
        "by GET /v1/billing-codes?spt_id=): granted, the PPh 29 becomes a debt paid by the schedule, and the SPT's "
        "code for the whole amount expires"))
    kind: Literal["instalment", "postponement"]
    instalments: int | None = Field(default=None, ge=2, le=120, description="for kind instalment")
    first_due_date: date | None = Field(default=None, description=(
        "instalment: the first payment (default: one month after the due date, or after today when that is "
        "past); the next ones on the same day of the following months"))
    postponed_to: date | None = Field(default=None, description="postponement: the day the debt is paid whole")
    reason: text(2000) = Field(description="the grounds: liquidity difficulty or circumstances beyond control")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: text(2000) | None = Field(default=None, description="required to reject")


class ScheduledRead(BaseModel):
    number: int
    due_date: date
    principal: str
    interest: str
    total: str
    status: Literal["open", "paid", "cancelled"]
    paid_at: datetime | None
    ntpn: str | None

    @classmethod
    def of(cls, i: Instalment) -> ScheduledRead:
        return cls(number=i.number, due_date=i.due_date, principal=amount_text(i.principal),
                   interest=amount_text(i.interest), total=amount_text(i.total),
                   status=i.status, paid_at=i.paid_at, ntpn=i.ntpn)  # type: ignore[arg-type]


class ArrangementRead(BaseModel):
    id: uuid.UUID
    debt_id: uuid.UUID | None = Field(description="empty while an application for an SPT's PPh 29 waits: the debt is "
                                                  "recorded when it is granted")
    spt_id: str | None = Field(description="the annual SPT whose PPh 29 the application is for")
    npwp: str
    kind: Literal["instalment", "postponement"]
    debt_kind: Literal["pph29", "assessment"]
    instalments: int
    first_due_date: date | None
    reason: str
    status: Literal["applied", "granted", "rejected", "accelerated", "completed"] = Field(
        description="accelerated: an instalment was missed, so the remainder is due at once (pay the debt's code)")
    received_on: date
    decide_by: date = Field(description="DJP decides within 3 (PPh 29) or 7 working days of receipt")
    principal: str
    monthly_rate_percent: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    accelerated_on: date | None
    schedule: list[ScheduledRead]

    @classmethod
    def of(cls, a: InstalmentArrangement, schedule: list[Instalment]) -> ArrangementRead:
        return cls(id=a.id, debt_id=a.debt_id, spt_id=a.spt_id, npwp=a.npwp,
                   kind=a.kind, debt_kind=a.debt_kind,  # type: ignore[arg-type]
                   instalments=a.instalments, first_due_date=a.first_due_date, reason=a.reason,
                   status=a.status, received_on=a.received_on, decide_by=a.decide_by,  # type: ignore[arg-type]
                   principal=amount_text(a.principal),
                   monthly_rate_percent=(None if a.monthly_rate_percent is None
                                         else f"{a.monthly_rate_percent.normalize():f}"),
                   decided_at=a.decided_at, rejection_reason=a.rejection_reason, accelerated_on=a.accelerated_on,
                   schedule=[ScheduledRead.of(i) for i in schedule])


class ArrangementQueue(BaseModel):
    items: list[ArrangementRead]
