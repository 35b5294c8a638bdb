"""Errors of the token endpoint and password reset, each with a stable code. `oauth_error` is the RFC 6749 §5.2 (or
RFC 8693/8707) `error` the token endpoint answers with beside the problem+json members (`identity.sessions.oauth`)."""

from typing import ClassVar

from identity.taxpayers.errors import NotRepresentative
from kit.errors import NotFound, RateLimited, Unauthorized, ValidationFailed


class InvalidGrant(Unauthorized):
    """RFC 6749 `invalid_grant`: wrong credentials, expired or reused refresh token. Never says which."""

    code, status, title = "oauth.invalid_grant", 400, "Invalid credentials or grant"
    oauth_error: ClassVar[str] = "invalid_grant"


class InvalidClient(Unauthorized):
    code, title = "oauth.invalid_client", "Invalid client credentials"
    oauth_error: ClassVar[str] = "invalid_client"


class InvalidRequest(ValidationFailed):
    code, status, title = "oauth.invalid_request", 400, "Invalid token request"
    oauth_error: ClassVar[str] = "invalid_request"


class UnsupportedGrant(ValidationFailed):
    code, status, title = "oauth.unsupported_grant_type", 400, "Unsupported grant type"
    oauth_error: ClassVar[str] = "unsupported_grant_type"


class InvalidScope(ValidationFailed):
    code, status, title = "oauth.invalid_scope", 400, "Scope not allowed"
    oauth_error: ClassVar[str] = "invalid_scope"


class ClientNotDelegated(NotRepresentative):
    """A machine client asked to act for a taxpayer that has not delegated to it."""

    oauth_error: ClassVar[str] = "unauthorized_client"


class NoRoleForTarget(NotRepresentative):
    """A person asked to act (token exchange) for a taxpayer that granted them no role."""

    oauth_error: ClassVar[str] = "invalid_target"  # RFC 8693 §2.2.2


class LoginThrottled(RateLimited):
    code, title = "auth.login_throttled", "Too many failed attempts: wait before trying again"


class ResetNotFound(NotFound):
    code, title = "password_reset.not_found", "Password reset not found or expired"

