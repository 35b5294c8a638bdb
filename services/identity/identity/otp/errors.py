"""Errors of one-time codes, each with a stable code."""

from kit.errors import RateLimited, ValidationFailed


class OTPInvalid(ValidationFailed):
    code, title = "otp.invalid", "Wrong or already used code"


class OTPExpired(ValidationFailed):
    code, title = "otp.expired", "The code has expired: ask for a new one"


class OTPLocked(ValidationFailed):
    code, title = "otp.too_many_attempts", "Too many wrong codes: ask for a new one"


class OTPCooldown(RateLimited):
    code, title = "otp.cooldown", "Wait before asking for another code"


class OTPRateLimited(RateLimited):
    code, title = "otp.rate_limited", "Too many codes requested: try again later"
