"""Who may call invoice's routes, in kit.access's three groups; every other route takes a person's token acting for
the taxpayer. tests/test_authorization_matrix.py checks the app against it."""

from kit.access import REGISTRY_READ, Internal, RouteAccess

ACCESS = RouteAccess.of(
    public={
        "GET /healthz", "GET /readyz", "GET /metrics",
        "GET /v1/public/invoices/{nsfp}/verification", "GET /v1/error-codes",
    },
    # e-Faktur through a PJAP (PMK-03/2022): everything a seller or buyer does with its faktur.
    partner={
        "POST /v1/invoices", "GET /v1/invoices", "GET /v1/invoices/{invoice_id}", "PUT /v1/invoices/{invoice_id}",
        "PATCH /v1/invoices/{invoice_id}", "DELETE /v1/invoices/{invoice_id}", "GET /v1/invoices/export",
        "GET /v1/invoices/{invoice_id}/pdf", "POST /v1/invoice-uploads", "GET /v1/invoice-uploads/{upload_id}",
        "POST /v1/signing-jobs", "GET /v1/signing-jobs/{job_id}", "GET /v1/webhook-secret",
        "POST /v1/invoices/{invoice_id}/cancellation", "POST /v1/invoices/{invoice_id}/replacement",
        "POST /v1/invoices/{invoice_id}/returns", "GET /v1/invoices/{invoice_id}/returns",
        "POST /v1/invoices/{invoice_id}/input-tax",
    },
    internal={"GET /internal/v1/taxpayers/{npwp}": Internal(REGISTRY_READ)},
    any_caller={"GET /v1/webhook-secret"},  # the calling client's own key (HMAC of its id), whoever it acts for
)
