"""All SQL of the corrections slice: the versions of a return with what each signed and its receipt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filing.returns.models import spt
from filing.submissions.models import spt_receipt, spt_submission


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def versions(self, npwp: str, form: str, period: str) -> list[Any]:
        """Every version of the return, oldest first, with its submission and receipt when it has them."""
        s, r = spt_submission, spt_receipt
        query = (select(spt.c.id, spt.c.version, spt.c.status, spt.c.revision, spt.c.created_at, spt.c.filed_at,
                        spt.c.figures, spt.c.attachments, spt.c.other_input_ppn, spt.c.compensation,
                        s.c.content, s.c.content_digest, s.c.submitted_at, s.c.outcome, s.c.amount_payable,
                        s.c.overpayment, s.c.tax_raise, s.c.shows_overpayment_or_loss, s.c.previous_spt_id,
                        s.c.signer_account_id,
                        r.c.number.label("receipt_number"), r.c.filed_at.label("receipt_filed_at"),
                        r.c.late, r.c.billing_code, r.c.ntpn, r.c.payment_date)
                 .select_from(spt.outerjoin(s, s.c.spt_id == spt.c.id).outerjoin(r, r.c.spt_id == spt.c.id))
                 .where(spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period)
                 .order_by(spt.c.version))
        return list(await self.session.execute(query))
