"""API models of the sanctions slice."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from filing.obligations.kinds import Obligation
from kit.money import MoneyAmount


class StpRead(BaseModel):
    id: uuid.UUID
    number: str
    reason: str = Field(description="late_filing, not_filed, late_payment, correction_interest or late_faktur")
    basis: str = Field(description="the article, e.g. 'UU KUP Art 7(1)'")
    kap_kjs: str = Field(description="what it is paid with, e.g. 411211-300")
    amount: MoneyAmount
    form: str | None
    period: str | None
    issued_on: date
    due_date: date = Field(description="1 month after issue, rolled to a working day (UU KUP Art 9(3))")
    principal: MoneyAmount | None = Field(default=None, description="late_payment: the tax the interest runs on; "
                                                                     "late_faktur: the DPP")
    interest_months: int | None = Field(default=None, description="late_payment: months charged (at most 24)")
    monthly_rate_percent: Decimal | None = Field(default=None, description="late_payment: the KMK rate applied")
    invoice_id: str | None = Field(default=None, description="late_faktur: the faktur")


class SanctionRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    obligation: Obligation = Field(description="spt_masa_ppn, spt_tahunan_op or spt_tahunan_badan")
    period: str = Field(description="YYYY-MM for the SPT Masa PPN, YYYY for an SPT Tahunan", examples=["2026-02"])
    npwps: list[Annotated[str, Field(pattern=r"^[0-9]{16}$")]] | None = Field(
        default=None, max_length=10_000, description="only these taxpayers (default: every taxpayer who owes it)")


class SanctionRunRead(BaseModel):
    run_id: uuid.UUID
    obligation: Obligation
    period: str
    due_date: date = Field(description="the effective deadline (a taxpayer's extension moves it for that taxpayer)")
    run_on: date = Field(description="the STPs' issue date")
    stp_due_date: date
    issued: int = Field(description="STPs issued by this run (a rerun issues none)")
    not_filed: int
    late_filing: int
