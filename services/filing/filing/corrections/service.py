"""Use cases of the corrections slice: the history of every version of a return (the Normal and each pembetulan,
UU KUP Art 8), each with its figures, digest and receipt. Submitting a pembetulan is the submissions slice's (the
same path as the Normal); the rules are in `rules.py`."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from filing.corrections.repository import HistoryRepository
from filing.corrections.rules import version_label
from filing.corrections.schemas import ReturnHistoryRead, VersionRead, VersionReceiptRead
from filing.forms.service import form_code
from filing.sanctions import service as sanctions
from filing.submissions.service import form_of
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork

READ = "filing:read"
WHOLE = Decimal(1)
_SIGNING = ("spt_id", "spt_version", "version_label", "submitted_at", "signer_account_id")


def _whole(amount: Decimal | None) -> Decimal | None:
    return amount.quantize(WHOLE) if amount is not None else None


def _figures(r: Any) -> dict[str, Any]:
    if r.content is not None:
        return {k: v for k, v in json.loads(r.content).items() if k not in _SIGNING}
    if r.figures or r.attachments:
        return {"figures": r.figures, "attachments": r.attachments}
    return {"other_input_ppn": f"{r.other_input_ppn:f}", "compensation": f"{r.compensation:f}"}


async def history(uow: UnitOfWork, principal: Principal, *, npwp: str | None, form: str,
                  period: str) -> ReturnHistoryRead:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    f = form_of(form_code(form))
    p = str(f.period(period))
    async with uow:
        rows = await HistoryRepository(uow.session).versions(npwp, f.code, p)
        stps = {r.id: await sanctions.stps_of(uow.session, [r.id]) for r in rows}
    versions = [VersionRead(
        spt_id=r.id, version=r.version, version_label=version_label(r.version), status=r.status,
        revision=r.revision, created_at=r.created_at, figures=_figures(r), submitted_at=r.submitted_at,
        content_digest=r.content_digest, signer_account_id=r.signer_account_id, outcome=r.outcome,
        amount_payable=_whole(r.amount_payable), overpayment=_whole(r.overpayment), previous_spt_id=r.previous_spt_id,
        tax_raise=_whole(r.tax_raise), shows_overpayment_or_loss=r.shows_overpayment_or_loss,
        receipt=VersionReceiptRead(number=r.receipt_number, filed_at=r.receipt_filed_at, late=r.late,
                                   billing_code=r.billing_code, ntpn=r.ntpn, payment_date=r.payment_date)
        if r.receipt_number else None,
        stps=stps[r.id])
        for r in rows]
    return ReturnHistoryRead(npwp=npwp, form=f.code, period=p, versions=versions)
