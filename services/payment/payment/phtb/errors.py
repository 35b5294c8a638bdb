"""Errors of the PHTB slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed


class NOPInvalid(ValidationFailed):
    """`details.reason`: length (not 18 digits once the dots and dash are removed) or digits."""

    code, title = "phtb.nop_invalid", "A NOP is 18 digits"


class CategoryUnknown(ValidationFailed):
    """`details.allowed` lists the categories of PP 34/2016 Art 2."""

    code, title = "phtb.category_unknown", "Unknown kind of land or building transfer"


class NTPNRequired(ValidationFailed):
    """Only a 0% transfer (to the government for public purposes) is validated without a payment."""

    code, title = "phtb.ntpn_required", "The payment's NTPN is required for this transfer"


class SellerRequired(ValidationFailed):
    """A notary (PPAT) names the seller it acts for: `seller_npwp`."""

    code, title = "phtb.seller_required", "seller_npwp is required when a notary requests the validation"


class ValidationNotFound(NotFound):
    code, title = "phtb.validation_not_found", "No such PPh PHTB validation"


class ValidationExists(Conflict):
    """This NTPN and NOP already have a validation that is pending or validated: `details.validation_id`."""

    code, title = "phtb.validation_exists", "This payment and property already have a validation"


class AlreadyDecided(Conflict):
    """`details.status`: the decision already made (validated or rejected)."""

    code, title = "phtb.already_decided", "The validation is already decided"


class NTPNAlreadyValidated(Conflict):
    """Another validated transfer used this payment (`details.validation_id`): one NTPN validates one transfer."""

    code, title = "phtb.ntpn_already_used", "This payment already validated another transfer"


class NotValidated(Conflict):
    """`details.status`: pending (with an officer) or rejected; only a validated request has a letter."""

    code, title = "phtb.not_validated", "The validation letter exists only once validated"


class PHTBRequesterRequired(Forbidden):
    code, title = "auth.phtb_requester_required", \
        "Only the seller (a taxpayer token) or a notary's (PPAT) client may request a validation"


class RejectionNoteRequired(ValidationFailed):
    code, title = "phtb.note_required", "A rejection says why (note)"


class LookupKeyRequired(ValidationFailed):
    code, title = "phtb.lookup_key_required", "Give the payment's ntpn or the letter's number with the NOP"


class NOPPrefixInvalid(ValidationFailed):
    """`details.invalid`: the prefixes that are not 1 to 18 digits."""

    code, title = "phtb.nop_prefix_invalid", "A NOP prefix is 1 to 18 digits"


class SubscriptionNotFound(NotFound):
    code, title = "phtb.subscription_not_found", "This land office has no webhook"
