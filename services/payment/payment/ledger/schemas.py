"""API models of the ledger slice: the taxpayer's Buku Besar. Amounts are whole rupiah as digit strings."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel, Field

from payment.billing.amount import amount_text
from payment.billing.kap_kjs import kap_kjs_table, parse_kap_kjs
from payment.models import LedgerAccount


class LedgerLine(BaseModel):
    """One liability: a KAP-KJS with its period or assessment number."""

    account_id: uuid.UUID
    kap_kjs: str
    kap_name: str | None
    kjs_name: str | None
    period: str | None
    assessment_number: str | None
    liabilities: str = Field(description="what was recorded as owed (self-assessed, SPT, assessment)")
    payments: str = Field(description="what paid it (bank payments, deposit allocations, reductions)")
    balance: str = Field(description="still owed: liabilities - payments")

    @classmethod
    def of(cls, account: LedgerAccount, debits: Decimal, credits: Decimal) -> LedgerLine:
        kap_kjs = account.kap_kjs or ""
        kap, kjs = parse_kap_kjs(kap_kjs)
        entry = kap_kjs_table().get(kap, {})
        rule = entry.get(kjs)
        return cls(account_id=account.id, kap_kjs=kap_kjs, kap_name=rule.kap_name if rule else None,
                   kjs_name=rule.kjs_name if rule else None, period=account.period,
                   assessment_number=account.assessment_number, liabilities=amount_text(debits),
                   payments=amount_text(credits), balance=amount_text(debits - credits))


class LedgerRead(BaseModel):
    npwp: str
    owed: str = Field(description="sum of the balances of all the taxpayer's liabilities")
    deposit: str = Field(description="the deposit's balance (411618-100), usable for future liabilities")
    items: list[LedgerLine]
    next_cursor: str | None
