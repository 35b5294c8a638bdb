"""API models of the returns slice. Amounts are strings in JSON (kit.money.MoneyAmount)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.returns.spt_masa_ppn import Outcome
from kit.money import MoneyAmount


class CodeFiguresRead(BaseModel):
    transaction_code: str = Field(description="01-10 (PER-11/PJ/2025 Lampiran D)")
    invoices: int = Field(description="signed invoices of the period that stand (cancelled and replaced ones out)")
    dpp: MoneyAmount
    dpp_other: MoneyAmount
    ppn: MoneyAmount
    ppnbm: MoneyAmount
    returns: int = Field(description="nota retur received against the taxpayer's invoices in the period")
    returned_dpp: MoneyAmount
    returned_dpp_other: MoneyAmount
    returned_ppn: MoneyAmount
    returned_ppnbm: MoneyAmount
    net_dpp: MoneyAmount = Field(description="invoices minus returns, whole rupiah (PER-11/PJ/2025 Art 129)")
    net_dpp_other: MoneyAmount
    net_ppn: MoneyAmount
    net_ppnbm: MoneyAmount


class InputFiguresRead(BaseModel):
    credited_invoices: int = Field(description="invoices whose input tax the taxpayer credited in this period")
    credited_ppn: MoneyAmount
    returns: int = Field(description="nota retur the taxpayer issued as buyer on credited invoices, in this period")
    returned_ppn: MoneyAmount
    other_input_ppn: MoneyAmount = Field(description="entered by the taxpayer (import documents and the like)")
    creditable_ppn: MoneyAmount = Field(description="credited - returned + other, whole rupiah")


class OpenReturnRead(BaseModel):
    id: uuid.UUID
    version: int = Field(description="0 Normal, n Pembetulan ke-n")
    version_label: str
    status: Literal["draft", "awaiting_payment"]
    revision: int = Field(description="changes so far; grows with each one")
    updated_at: datetime


class SptMasaPpnRead(BaseModel):
    npwp: str
    period: str
    form: Literal["spt_masa_ppn"] = "spt_masa_ppn"
    owed: bool | None = Field(description="whether the taxpayer was a PKP in the period (a nil return is still "
                                          "owed); null until identity's registry facts have arrived")
    open_return: OpenReturnRead | None = Field(description="the version being prepared, if the taxpayer started one")
    output: list[CodeFiguresRead]
    input: InputFiguresRead
    output_ppn_owed: MoneyAmount = Field(description="PPN of codes the seller collects (01, 04, 05, 06, 09, 10)")
    output_ppn_collected_by_collectors: MoneyAmount = Field(description="codes 02, 03")
    output_ppn_not_collected: MoneyAmount = Field(description="code 07")
    output_ppn_exempt: MoneyAmount = Field(description="code 08")
    ppnbm_owed: MoneyAmount
    compensation: MoneyAmount = Field(description="an earlier period's lebih bayar carried into this one")
    balance: MoneyAmount = Field(description="> 0 kurang bayar, < 0 lebih bayar")
    outcome: Outcome
    amount_due: MoneyAmount
    overpayment: MoneyAmount


class DraftUpdate(BaseModel):
    """What the taxpayer adds to the prefilled figures. Amounts as strings ("1500000.50"): at most 2 decimals."""

    model_config = ConfigDict(extra="forbid")

    other_input_ppn: Decimal = Field(default=Decimal(0), description="input tax the invoices do not carry")
    compensation: Decimal = Field(default=Decimal(0), description="an earlier period's lebih bayar carried in")
