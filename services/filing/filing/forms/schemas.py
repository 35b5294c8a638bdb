"""API models of the forms slice. Amounts are strings in JSON (kit.money.MoneyAmount)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.returns.schemas import OpenReturnRead
from kit.money import MoneyAmount


class FormRead(BaseModel):
    form: str
    title: str
    obligation: str
    period: Literal["masa", "annual"] = Field(description="masa: period YYYY-MM; annual: YYYY")
    schema_: dict[str, Any] = Field(alias="schema", description="the form's schema as packaged (fields, attachments, "
                                                                 "payments)")

    model_config = ConfigDict(populate_by_name=True)


class PartRead(BaseModel):
    kap_kjs: str
    amount: MoneyAmount = Field(description="> 0 owed, < 0 overpaid (whole rupiah)")


class FormReturnRead(BaseModel):
    npwp: str
    form: str
    title: str
    period: str
    owed: bool | None
    open_return: OpenReturnRead | None
    figures: dict[str, Any] = Field(description="what the taxpayer entered (amounts as strings)")
    attachments: list[str]
    parts: list[PartRead] = Field(description="per KAP-KJS, as the form computes them")
    balance: MoneyAmount = Field(description="> 0 kurang bayar, < 0 lebih bayar")
    outcome: Literal["kurang_bayar", "lebih_bayar", "nihil"]
    amount_due: MoneyAmount
    overpayment: MoneyAmount
    shows_loss: bool
    missing_fields: list[str] = Field(description="required fields not entered yet: a submission is refused")
    missing_attachments: list[str] = Field(description="required attachments not given: UU KUP Art 3(7)(b)")


class FormDraftUpdate(BaseModel):
    """The entries of the form (replacing the draft's) and the attachment codes it carries."""

    model_config = ConfigDict(extra="forbid")

    figures: dict[str, Any] = Field(default_factory=dict)
    attachments: list[Any] = Field(default_factory=list)
