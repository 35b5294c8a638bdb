"""API models of the submissions slice. Amounts are strings in JSON (kit.money.MoneyAmount)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from filing.returns.spt_masa_ppn import Outcome
from filing.sanctions.schemas import StpRead
from filing.submissions.errors import PassphraseOrSession
from kit.money import MoneyAmount
from kit.text import secret


class SigningSessionUse(BaseModel):
    """A signing session the signer opened at identity (`POST /v1/signing-credentials/{id}/sessions`, one
    passphrase check): its id and secret, passed through to identity, never stored."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    secret: secret(64)


class Signer(BaseModel):
    """The signer's credential, opened by exactly one of its passphrase (one slow check per call) and a signing
    session: both is `submission.passphrase_or_session`, neither `request.invalid` (the passphrase is missing, as
    before sessions). filing never stores either."""

    model_config = ConfigDict(extra="forbid")

    credential_id: uuid.UUID = Field(description="the signer's Kode Otorisasi or electronic certificate")
    passphrase: secret(256) | None = None
    signing_session: SigningSessionUse | None = Field(
        None, description="instead of `passphrase`: a session opened at identity with it, bound to the signer's "
                          "login session (the token's `sid`, else its `jti`, is forwarded to identity)")

    @model_validator(mode="after")
    def _one_key(self) -> Signer:
        if self.passphrase is not None and self.signing_session is not None:
            raise PydanticCustomError(PassphraseOrSession.code, "send exactly one of passphrase and signing_session")
        if self.passphrase is None and self.signing_session is None:  # as before sessions: the passphrase is missing
            raise PydanticCustomError("missing", "passphrase (or signing_session) is required")
        return self


class SubmissionCreate(Signer):
    """Sign and submit the open version of the return."""

    revision: int | None = Field(None, ge=0, description="the draft's `revision` the taxpayer reviewed (0 when no "
                                                          "draft was started): refused with `return.changed` if the "
                                                          "draft changed since")
    kind: Literal["normal", "pembetulan"] | None = Field(
        None, description="what the taxpayer means to file: refused with `return.normal_exists` (normal) when a "
                          "Normal is filed, `correction.no_normal` (pembetulan) when none is; by default the Normal, "
                          "or the next pembetulan once a version is filed")


class PaymentRead(BaseModel):
    kap_kjs: str = Field(description="e.g. 411211-100 (PPN), 411221-100 (PPnBM), 411121-100 (PPh 21)")
    amount: MoneyAmount
    status: Literal["requested", "paid", "expired", "instalment"] = Field(
        description="`instalment`: covered by payment's instalment or postponement decision (`arrangement_id`)")
    payment_due_date: date = Field(description="effective due date of the payment; paying later bears interest")
    requested_at: datetime
    billing_code: str | None
    ntpn: str | None
    paid_at: datetime | None
    arrangement_id: str | None = None


class ReceiptRead(BaseModel):
    """The bukti penerimaan elektronik (BPE) of a filed return."""

    number: str
    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    spt_version: int
    version_label: str
    filed_at: datetime = Field(description="when the return counts as filed (for Bayar dan Lapor: the payment time)")
    issued_at: datetime
    content_digest: str = Field(description="SHA-256 (hex) of the signed content")
    due_date: date
    late: bool
    billing_code: str | None
    ntpn: str | None
    payment_date: date | None
    verification_url: str


class SubmissionRead(BaseModel):
    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    spt_version: int
    version_label: str
    status: Literal["awaiting_payment", "filed"]
    revision: int
    submitted_at: datetime
    content_digest: str
    signer_account_id: str | None
    certificate_serial: str
    outcome: Outcome
    amount_payable: MoneyAmount
    overpayment: MoneyAmount
    due_date: date = Field(description="effective filing due date")
    previous_spt_id: uuid.UUID | None = Field(None, description="a pembetulan: the filed version it corrects")
    tax_raise: MoneyAmount = Field(description="a pembetulan: what it adds to the tax payable (what it pays, and "
                                               "what UU KUP Art 8(2)/(2a) interest runs on)")
    shows_overpayment_or_loss: bool = Field(description="it shows a lebih bayar or a loss, or lowers the tax of the "
                                                        "version it corrects (UU KUP Art 8(1a))")
    payments: list[PaymentRead] = Field(description="what the return waits for (kurang bayar, PPnBM); empty when "
                                                    "it filed at once")
    receipt: ReceiptRead | None = Field(description="set once filed")
    stps: list[StpRead] = Field(description="sanctions issued on this return (a late filing's Art 7(1) fine, a "
                                            "pembetulan's Art 8(2)/(2a) interest)")


class ReceiptVerificationRead(BaseModel):
    """What anyone holding a receipt may confirm, and nothing more."""

    number: str
    npwp_masked: str
    form: str
    period: str
    filed_at: datetime
    content_digest: str
    valid: bool = Field(description="the stored content hashes to this digest and the signature over it verifies")
    reason: str


class BatchReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^[0-9]{16}$")
    form: str = Field("spt_masa_ppn", pattern=r"^[a-z][a-z0-9_-]*$",
                      description="e.g. spt_masa_ppn (default), spt-masa-pph21, spt-tahunan-op")
    period: str = Field(description="YYYY-MM for a masa form, YYYY for an annual one", examples=["2026-03"])
    revision: int | None = Field(None, ge=0, description="as in the single submission: `return.changed` if the "
                                                          "draft moved since")


BATCH_MAX = 500


class BatchSubmissionCreate(Signer):
    """Many returns (a PJAP or consultant's clients) signed with one credential in ONE identity call."""

    returns: list[BatchReturn] = Field(min_length=1, max_length=BATCH_MAX)


class BatchItemError(BaseModel):
    code: str
    title: str
    detail: str
    status: int
    details: dict[str, Any] = Field(default_factory=dict)


class BatchItemRead(BaseModel):
    index: int
    npwp: str
    form: str
    period: str
    status: Literal["filed", "awaiting_payment", "refused"]
    submission: SubmissionRead | None = Field(None, description="the submission as the single route answers it "
                                                                "(receipt or payments)")
    error: BatchItemError | None = Field(None, description="why this return was refused (nothing written for it); "
                                                           "`details.path` points into the request")


class BatchSubmissionRead(BaseModel):
    filed: int
    awaiting_payment: int
    refused: int
    certificate_serial: str | None = Field(description="the certificate that signed (none when nothing was signed)")
    items: list[BatchItemRead] = Field(description="one per return asked, in the request's order")
