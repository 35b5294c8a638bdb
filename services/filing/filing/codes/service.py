"""The error codes of the filing service: each AppError subclass its slices define, and those of kit its routes
answer with (authentication, taxpayer choice, the registry replica, idempotency, request validation)."""

from __future__ import annotations

from filing.assessments import errors as assessments_errors
from filing.calendar import errors as calendar_errors
from filing.codes.schemas import ErrorCodeRead
from filing.corrections import errors as corrections_errors
from filing.forms import errors as forms_errors
from filing.kswp import errors as kswp_errors
from filing.obligations import errors as obligations_errors
from filing.reference import errors as reference_errors
from filing.returns import errors as returns_errors
from filing.sanctions import errors as sanctions_errors
from filing.skb import errors as skb_errors
from filing.submissions import errors as submissions_errors
from filing.warnings import errors as warnings_errors
from kit.auth import InvalidToken, KeysUnavailable, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.errors import AppError, Unauthorized
from kit.idempotency import IdempotencyInProgress, IdempotencyKeyReused
from kit.replica import TaxpayerNotReplicated

_MODULES = (assessments_errors, calendar_errors, corrections_errors, forms_errors, obligations_errors, returns_errors,
            sanctions_errors, submissions_errors, kswp_errors, skb_errors, warnings_errors, reference_errors)
_KIT: tuple[type[AppError], ...] = (Unauthorized, InvalidToken, KeysUnavailable, MissingScope, TaxpayerForbidden,
                                    TaxpayerNotChosen, TaxpayerNotReplicated, IdempotencyInProgress,
                                    IdempotencyKeyReused)
# Answered by kit's handlers without an AppError class
_HANDLERS = (ErrorCodeRead(code="request.invalid", status=422, title="Invalid request"),
             ErrorCodeRead(code="route.not_found", status=404, title="Not Found"),
             ErrorCodeRead(code="internal", status=500, title="Internal error"))


def error_codes() -> list[ErrorCodeRead]:
    classes = [*_KIT, *(value for module in _MODULES for value in vars(module).values()
                        if isinstance(value, type) and issubclass(value, AppError)
                        and value.__module__ == module.__name__)]
    listed = {c.code: ErrorCodeRead(code=c.code, status=c.status, title=c.title) for c in classes}
    return sorted([*listed.values(), *_HANDLERS], key=lambda c: c.code)
