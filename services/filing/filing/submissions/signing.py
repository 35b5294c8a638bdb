"""Step 2 of submitting: identity signs the digests of the prepared returns in ONE call, with the signer's credential
opened by their passphrase or by a signing session they opened (no transaction is open meanwhile). A refusal leaves
every return of the call unsigned: not filed (UU KUP Art 3(7)(a)), and nothing is written."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from filing.returns.errors import ReturnUnsigned
from filing.returns.rules import Submission, not_filed_reasons
from filing.submissions.errors import NoLoginSession, PassphraseOrSession, SignerUnavailable
from filing.submissions.prepare import Prepared
from filing.submissions.schemas import Signer
from kit.auth import Principal
from kit.signing import IdentityClient, IdentityUnavailable, SigningRefused, SigningSession

_REFUSAL_DETAILS = ("attempts_remaining", "locked_until", "expired_at", "max_signatures", "signatures_used",
                    "requested")


@dataclass(frozen=True)
class Key:
    """What opens the signer's credential at identity for this call: the passphrase or a signing session."""

    passphrase: str | None
    session: SigningSession | None


@dataclass(frozen=True)
class Signed:
    """One return's signature and the certificate that made it."""

    signature: str  # base64 DER
    certificate_serial: str
    certificate_pem: str


def key_of(principal: Principal, body: Signer) -> Key:
    if (body.passphrase is None) == (body.signing_session is None):
        raise PassphraseOrSession(path="/passphrase")
    if body.signing_session is None:
        assert body.passphrase is not None
        return Key(body.passphrase.get_secret_value(), None)
    # identity binds a session to the login session (device) that opened it: the token's `sid`, else its `jti`
    device = next((v for c in ("sid", "jti") if isinstance(v := principal.claims.get(c), str) and v), None)
    if device is None:
        raise NoLoginSession(path="/signing_session")
    use = body.signing_session
    return Key(None, SigningSession(str(use.id), use.secret.get_secret_value(), device))


def _refusal_path(code: str) -> str:
    if code.startswith("signing_session."):
        return "/signing_session"
    return "/passphrase" if code in ("credential.passphrase_wrong", "credential.locked") else "/credential_id"


async def sign(identity: IdentityClient, prepared: list[Prepared], credential_id: uuid.UUID, key: Key
               ) -> list[Signed]:
    """Identity's signatures over the digests, in order, in ONE call; `ReturnUnsigned` (identity refused) or
    `SignerUnavailable` for all of them."""
    first = prepared[0]
    try:
        signed = await identity.sign(credential_id=str(credential_id), passphrase=key.passphrase,
                                     signing_session=key.session,
                                     digests=[base64.b64encode(p.digest).decode() for p in prepared],
                                     account_id=first.signer,
                                     acting_for=first.npwp if len({p.npwp for p in prepared}) == 1 else None)
    except SigningRefused as refused:
        reasons = not_filed_reasons(Submission(period=first.period, submitted_on=first.submitted_at.date(),
                                               signed=False, audit_started_on=first.audit_started_on))
        known = {k: refused.details[k] for k in _REFUSAL_DETAILS if k in refused.details}
        raise ReturnUnsigned(f"the SPT is not signed: {refused.reason()}", reasons=[r.value for r in reasons],
                             signer_code=refused.code, path=_refusal_path(refused.code), **known) from None
    except IdentityUnavailable as exc:
        raise SignerUnavailable(f"identity: {exc}"[:300]) from None
    if len(signed.signatures) != len(prepared):
        raise SignerUnavailable(f"identity returned {len(signed.signatures)} signatures for {len(prepared)} digests")
    return [Signed(s, signed.certificate_serial, signed.certificate_pem) for s in signed.signatures]
