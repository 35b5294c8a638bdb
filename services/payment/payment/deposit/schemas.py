"""API models of the deposit slice. Amounts are whole rupiah written as digit strings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from kit.text import text
from payment.billing.amount import amount_text
from payment.billing.schemas import AMOUNT_DESCRIPTION
from payment.models import DepositMovement

NPWP = Field(default=None, pattern=r"^[0-9]{16}$",
             description="the taxpayer whose deposit; default: the token's only one")


class AllocationCreate(BaseModel):
    """Deposit to a liability: one of the taxpayer's open debts (`debt_id`: what it still owes), or a self-assessed
    liability (`kap_kjs` with its `period` or `assessment_number`, and `amount`)."""

    model_config = ConfigDict(extra="forbid")

    npwp: str | None = NPWP
    debt_id: uuid.UUID | None = None
    kap_kjs: text(20) | None = Field(default=None, examples=["411211-100"])
    period: text(20) | None = None
    assessment_number: text(100) | None = None
    amount: StrictStr | StrictInt | None = Field(default=None, description=AMOUNT_DESCRIPTION)


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str | None = NPWP
    to_npwp: str = Field(pattern=r"^[0-9]{16}$", description="the taxpayer whose deposit receives it")
    amount: StrictStr | StrictInt = Field(description=AMOUNT_DESCRIPTION)


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str | None = NPWP
    amount: StrictStr | StrictInt = Field(description=AMOUNT_DESCRIPTION)
    bank_code: text(40) = Field(description="the bank paying the refund out")
    account_number: text(40) = Field(description="the taxpayer's account at that bank")


class RefundDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: text(2000) | None = Field(default=None, description="required to reject")


class MovementRead(BaseModel):
    id: uuid.UUID
    npwp: str
    kind: Literal["allocation", "transfer", "refund"]
    status: Literal["requested", "done", "rejected"]
    amount: str
    debt_id: uuid.UUID | None
    kap_kjs: str | None
    period: str | None
    assessment_number: str | None
    to_npwp: str | None
    bank_code: str | None
    account_number: str | None
    deemed_paid_at: datetime | None = Field(description="an allocation's deposit date: it counts as the payment date")
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    balance_after: str | None = Field(default=None, description="the deposit right after this movement (answers)")

    @classmethod
    def of(cls, m: DepositMovement, balance_after: Decimal | None = None) -> MovementRead:
        return cls(id=m.id, npwp=m.npwp, kind=m.kind, status=m.status,  # type: ignore[arg-type]
                   amount=amount_text(m.amount), debt_id=m.debt_id, kap_kjs=m.kap_kjs, period=m.period,
                   assessment_number=m.assessment_number, to_npwp=m.to_npwp, bank_code=m.bank_code,
                   account_number=m.account_number, deemed_paid_at=m.deemed_paid_at, reason=m.reason,
                   created_at=m.created_at, decided_at=m.decided_at,
                   balance_after=None if balance_after is None else amount_text(balance_after))


class DepositRead(BaseModel):
    npwp: str
    balance: str = Field(description="what the deposit holds (411618-100), carried across years")
    movements: list[MovementRead] = Field(description="allocations, transfers out and refunds, oldest first")
    next_cursor: str | None


class RefundQueue(BaseModel):
    items: list[MovementRead]
