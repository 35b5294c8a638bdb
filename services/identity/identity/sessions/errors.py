"""Errors of the token endpoint and password reset, each with a stable code."""

from kit.errors import NotFound, RateLimited, Unauthorized, ValidationFailed


class InvalidGrant(Unauthorized):
    """RFC 6749 `invalid_grant`: wrong credentials, expired or reused refresh token. Never says which."""

    code, status, title = "oauth.invalid_grant", 400, "Invalid credentials or grant"


class InvalidClient(Unauthorized):
    code, title = "oauth.invalid_client", "Invalid client credentials"


class UnsupportedGrant(ValidationFailed):
    code, status, title = "oauth.unsupported_grant_type", 400, "Unsupported grant type"


class LoginThrottled(RateLimited):
    code, title = "auth.login_throttled", "Too many failed attempts: wait before trying again"


class ResetNotFound(NotFound):
    code, title = "password_reset.not_found", "Password reset not found or expired"
