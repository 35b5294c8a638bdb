"""API models of the assessments slice (audits and SKP). Amounts are strings in JSON (kit.money.MoneyAmount)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.assessments.rules import AssessmentKind
from kit.money import MoneyAmount

_FORM = r"^[a-z][a-z0-9_]*$"


class AuditCreate(BaseModel):
    """An audit of a taxpayer's period starts now (the day the SP2 is delivered, or the summons' date)."""

    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^[0-9]{16}$")
    period: str = Field(description="YYYY-MM (masa) or YYYY (tax year)")
    form: str | None = Field(None, pattern=_FORM, description="the return audited; absent: every tax of the period")
    audit_type: Literal["field", "office"]


class AuditClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["assessed", "no_findings", "stopped"]


class SkpCreate(BaseModel):
    """An assessment the audit concludes with. Amounts as strings: at most 2 decimals."""

    model_config = ConfigDict(extra="forbid")

    kind: AssessmentKind
    form: str = Field(pattern=_FORM, description="the return assessed, e.g. spt_masa_ppn")
    principal: Decimal = Field(description="tax underpaid (SKPKB, SKPKBT) or overpaid (SKPLB); 0 for an SKPN")
    increase: Decimal = Field(Decimal(0), description="kenaikan (UU KUP Art 13(3)), as the officer finds it")
    reasoning: str = Field(min_length=1, max_length=4000)


class SkpRead(BaseModel):
    id: uuid.UUID
    number: str
    audit_id: uuid.UUID
    npwp: str
    kind: AssessmentKind
    form: str
    period: str
    principal: MoneyAmount
    interest: MoneyAmount = Field(description="UU KUP Art 13(2): tier 4, from the end of the period to the issue "
                                              "date, at most 24 months; 0 for SKPLB and SKPN")
    interest_months: int
    monthly_rate_percent: MoneyAmount | None
    increase: MoneyAmount
    total: MoneyAmount = Field(description="to pay (SKPKB, SKPKBT) or to refund (SKPLB)")
    kap_kjs: str | None
    issued_on: date
    due_date: date | None = Field(description="1 month after issue, rolled to a working day, when there is "
                                              "something to pay")
    reasoning: str
    officer_account_id: str


class AuditRead(BaseModel):
    id: uuid.UUID
    npwp: str
    period: str
    form: str | None
    audit_type: str
    status: Literal["open", "closed"]
    started_at: datetime
    closed_at: datetime | None
    outcome: str | None
    officer_account_id: str
    closed_by_account_id: str | None
    skps: list[SkpRead]
