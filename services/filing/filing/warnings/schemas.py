"""API models of the warnings slice."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class WrittenWarningCreate(BaseModel):
    """A Surat Teguran the tax office sent about a taxpayer's return (one form and period)."""

    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^[0-9]{16}$")
    form: str = Field("spt_masa_ppn", pattern=r"^[a-z][a-z0-9_-]*$",
                      description="the return warned about: spt_masa_ppn (default), spt-masa-pph21, ...")
    period: str = Field(description="YYYY-MM for a masa form, YYYY for an annual one", examples=["2022-06"])
    number: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$",
                        description="the letter's number", examples=["ST-00123/WPJ.04/KP.0103/2025"])
    warned_on: date = Field(description="the letter's date: after the period ended, not after today")


class WrittenWarningRead(BaseModel):
    id: uuid.UUID
    number: str
    npwp: str
    form: str
    period: str
    warned_on: date
    officer_account_id: str
    recorded_at: datetime
    overpayment_filing_limit: date = Field(
        description="the last day a lebih bayar return of this period still counts as filed: 3 years after the "
                    "period ended; submitted later, it is refused `return.overpayment_too_late` (UU KUP Art 3(7)(c))")
