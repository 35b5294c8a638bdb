"""API models of the sanctions slice."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

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
