"""Who may call identity's routes, in kit.access's three groups; every other route takes a person's token (their
own, or one exchanged to act for a taxpayer). tests/test_authorization_matrix.py checks the app against it."""

from kit.access import REGISTRY_READ, REGISTRY_WRITE, Internal, RouteAccess

OFFICER = Internal("identity:officer", "officer")

ACCESS = RouteAccess.of(
    public={
        "GET /healthz", "GET /readyz", "GET /metrics",
        "POST /v1/registrations", "GET /v1/registrations/{registration_id}",
        "POST /v1/registrations/{registration_id}/otp", "POST /v1/registrations/{registration_id}/verify",
        "POST /v1/oauth/token", "GET /.well-known/jwks.json", "GET /.well-known/oauth-authorization-server",
        "POST /v1/password-resets", "POST /v1/password-resets/{reset_id}/confirm",
    },
    # A PJAP reads the PKP status of a taxpayer that delegated to it; everything else here is a person's business.
    partner={"GET /v1/taxpayers/{npwp}/pkp-status"},
    internal={
        "POST /internal/v1/taxpayers": Internal(REGISTRY_WRITE),
        "GET /internal/v1/taxpayers/{npwp}": Internal(REGISTRY_READ),
        "POST /internal/v1/signatures": Internal("identity:sign"),  # the signer's passphrase in the body
        "POST /internal/v1/taxpayers/{npwp}/nik-matching": OFFICER,
        "POST /internal/v1/taxpayers/{npwp}/pkp-status": OFFICER,
        "POST /internal/v1/legacy-imports": OFFICER,
        "POST /internal/v1/clients": OFFICER,
        "GET /internal/v1/audit-events": OFFICER,
    },
)
