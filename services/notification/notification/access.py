"""Who may call notification's routes, in kit.access's three groups; every other route takes a person's token
acting for the taxpayer. tests/test_authorization_matrix.py checks the app against it."""

from kit.access import REGISTRY_READ, Internal, RouteAccess
from notification.endpoints import MESSAGES, RECIPIENTS

ACCESS = RouteAccess.of(
    public={
        "GET /healthz", "GET /readyz", "GET /metrics",
        "POST /v1/provider-webhooks/{provider}",  # no token: the provider's HMAC signature, checked by the route
    },
    internal={
        "PUT /internal/v1/recipients/{npwp}": Internal(RECIPIENTS),
        "GET /internal/v1/messages": Internal(MESSAGES),
        "GET /internal/v1/taxpayers/{npwp}": Internal(REGISTRY_READ),
    },
)
