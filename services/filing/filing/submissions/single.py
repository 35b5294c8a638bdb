"""The single submission (`POST /v1/returns/{form}/{period}/submission`): the open version of one return (the
Normal, started if none; after a filed one, the next pembetulan) signed through identity and filed, or made to wait
for payment. It goes through the desk (`desk.py`): concurrent single submissions share their round trips."""

from __future__ import annotations

from filing.submissions.desk import SubmissionDesk
from filing.submissions.figures import PPN_FORM, form_of
from filing.submissions.prepare import Ask
from filing.submissions.schemas import SubmissionCreate, SubmissionRead
from filing.submissions.signing import key_of
from kit.auth import Principal, acting_taxpayer
from kit.clock import Clock
from kit.signing import signer_account

SUBMIT = "filing:submit"


async def submit(desk: SubmissionDesk, clock: Clock, principal: Principal, *, npwp: str | None, form: str,
                 period: str, body: SubmissionCreate) -> SubmissionRead:
    principal.require(SUBMIT)
    npwp = acting_taxpayer(principal, npwp)
    key = key_of(principal, body)
    f = form_of(form)
    ask = Ask(npwp, f, f.period(period), body.revision, body.kind, clock.now(), signer_account(principal))
    return await desk.submit(ask, credential_id=body.credential_id, key=key)


async def submit_spt_masa_ppn(desk: SubmissionDesk, clock: Clock, principal: Principal, *, npwp: str | None,
                              period: str, body: SubmissionCreate) -> SubmissionRead:
    return await submit(desk, clock, principal, npwp=npwp, form=PPN_FORM, period=period, body=body)
