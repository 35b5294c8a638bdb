"""Who may call payment's routes, in kit.access's three groups; every other route takes a person's token acting for
the taxpayer. tests/test_authorization_matrix.py checks the app against it: a new route is declared here."""

from kit.access import REGISTRY_READ, Internal, RouteAccess

OFFICER = Internal("payment:officer", "service or officer")  # payment.auth.officer_client

ACCESS = RouteAccess.of(
    public={
        "GET /healthz", "GET /readyz", "GET /metrics",
        "GET /v1/public/payments/{ntpn}/verification",  # the BPN's QR code
        "GET /v1/public/phtb-validations/{validation_id}/verification",
    },
    # Partners: PJAP clients acting for a taxpayer, collecting banks (kind `bank`), notaries (kind `ppat`) and land
    # offices (kind `land_office`), each with its own scope (payment.auth).
    partner={
        "POST /v1/billing-codes", "POST /v1/billing-codes/batch", "GET /v1/billing-codes",
        "GET /v1/billing-codes/{code}", "GET /v1/ledger", "GET /v1/debts",
        "GET /v1/debts/{debt_id}", "POST /v1/debts/{debt_id}/billing-code",
        "POST /v1/instalments", "GET /v1/instalments/{arrangement_id}",
        "POST /v1/instalments/{arrangement_id}/instalments/{number}/billing-code",
        "GET /v1/deposit", "POST /v1/deposit/allocations", "POST /v1/deposit/transfers", "POST /v1/deposit/refunds",
        "GET /v1/payments/{ntpn}/bpn",
        "GET /v1/bank/billing-codes/{code}", "POST /v1/bank/payments", "POST /v1/bank/payments/batch",
        "GET /v1/bank/payments/{ntpn}/bpn",
        "POST /v1/phtb/validations", "GET /v1/phtb/validations/{validation_id}",
        "GET /v1/phtb/validations/{validation_id}/letter",
        "GET /v1/land-office/phtb-validations", "GET /v1/land-office/webhook", "PUT /v1/land-office/webhook",
        "GET /v1/land-office/webhook-secret",
    },
    internal={
        "POST /internal/v1/legacy-debts/imports": OFFICER,
        "GET /internal/v1/legacy-debts/imports/{import_id}": OFFICER,
        "GET /internal/v1/instalments": OFFICER,
        "GET /internal/v1/instalments/{arrangement_id}": OFFICER,
        "POST /internal/v1/instalments/{arrangement_id}/decision": OFFICER,
        "GET /internal/v1/deposit/refunds": OFFICER,
        "POST /internal/v1/deposit/refunds/{movement_id}/decision": OFFICER,
        "GET /internal/v1/phtb/validations": OFFICER,
        "POST /internal/v1/phtb/validations/{validation_id}/approve": OFFICER,
        "POST /internal/v1/phtb/validations/{validation_id}/reject": OFFICER,
        "GET /internal/v1/taxpayers/{npwp}": Internal(REGISTRY_READ),
    },
)
