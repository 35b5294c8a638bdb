"""The batch submission: a PJAP or consultant filing for many clients. Every return is checked as one submitted
alone (step 1, one read transaction), the digests of all accepted ones are signed in ONE identity call (step 2: a
refusal or an outage signs and writes nothing, and the whole request answers it), then all are checked again and
filed or made to wait for payment in one transaction (step 3), a return that moved meanwhile refused alone."""

from __future__ import annotations

from filing.forms.service import form_code
from filing.submissions.errors import BatchDuplicate
from filing.submissions.figures import form_of
from filing.submissions.prepare import Ask, Prepared, prepare_many, without_transaction
from filing.submissions.reading import read_many
from filing.submissions.record import SignedReturn, record_many
from filing.submissions.schemas import BatchItemError, BatchItemRead, BatchSubmissionCreate, BatchSubmissionRead
from filing.submissions.signing import key_of, sign
from kit.auth import Principal, TaxpayerForbidden
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.errors import AppError
from kit.signing import IdentityClient, signer_account

SUBMIT = "filing:submit"


async def submit_batch(uow: UnitOfWork, identity: IdentityClient, clock: Clock, principal: Principal, *,
                       body: BatchSubmissionCreate, public_url: str) -> BatchSubmissionRead:
    principal.require(SUBMIT)
    for i, item in enumerate(body.returns):
        if item.npwp not in principal.taxpayer_ids:
            raise TaxpayerForbidden(f"not allowed to act for {item.npwp}", path=f"/returns/{i}/npwp")
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(body.returns):
        mention = (item.npwp, form_code(item.form), item.period)
        if mention in seen:
            raise BatchDuplicate(f"{item.npwp} {item.form} {item.period} is listed twice", path=f"/returns/{i}")
        seen.add(mention)
    key = key_of(principal, body)
    now, signer = clock.now(), signer_account(principal)
    items: list[BatchItemRead | None] = [None] * len(body.returns)
    asks: list[tuple[int, Ask]] = []
    for i, item in enumerate(body.returns):
        try:
            f = form_of(form_code(item.form))
            asks.append((i, Ask(item.npwp, f, f.period(item.period), item.revision, None, now, signer)))
        except AppError as error:
            items[i] = _refused(i, item.npwp, form_code(item.form), item.period, error)
    accepted: list[tuple[int, Prepared]] = []
    async with uow:  # step 1: read only
        await without_transaction(uow.session)
        outcomes = await prepare_many(uow.session, [a for _, a in asks]) if asks else []
    for (i, ask), outcome in zip(asks, outcomes, strict=True):
        if isinstance(outcome, AppError):
            items[i] = _refused(i, ask.npwp, ask.form.code, str(ask.period), outcome)
        else:
            accepted.append((i, outcome))
    if not accepted:
        return _batch(items, None)
    signed = await sign(identity, [p for _, p in accepted], body.credential_id, key)
    async with uow:
        results = await record_many(uow.session, [SignedReturn(p, s, body.credential_id)
                                                  for (_, p), s in zip(accepted, signed, strict=True)])
        done: list[tuple[int, Prepared]] = []
        for (i, prepared), result in zip(accepted, results, strict=True):
            if isinstance(result, AppError):
                items[i] = _refused(i, prepared.npwp, prepared.form.code, str(prepared.period), result)
            else:
                done.append((i, prepared))
        reads = await read_many(uow.session, [p.spt_id for _, p in done], public_url) if done else {}
        for i, prepared in done:
            read = reads[prepared.spt_id]
            items[i] = BatchItemRead(index=i, npwp=prepared.npwp, form=prepared.form.code, period=str(prepared.period),
                                     status=read.status, submission=read)
        await uow.commit()
    return _batch(items, signed[0].certificate_serial)


def _refused(index: int, npwp: str, form: str, period: str, error: AppError) -> BatchItemRead:
    path = error.details.get("path")
    details = {**error.details, "path": f"/returns/{index}{path if isinstance(path, str) else ''}"}
    return BatchItemRead(index=index, npwp=npwp, form=form, period=period, status="refused",
                         error=BatchItemError(code=error.code, title=error.title, detail=error.detail,
                                              status=error.status, details=details))


def _batch(items: list[BatchItemRead | None], certificate_serial: str | None) -> BatchSubmissionRead:
    done = [x for x in items if x is not None]
    assert len(done) == len(items)
    return BatchSubmissionRead(filed=sum(x.status == "filed" for x in done),
                               awaiting_payment=sum(x.status == "awaiting_payment" for x in done),
                               refused=sum(x.status == "refused" for x in done),
                               certificate_serial=certificate_serial, items=done)
