"""Who may call filing's routes, in kit.access's three groups; every other route takes a person's token acting for
the taxpayer. tests/test_authorization_matrix.py checks the app against it: a new route is declared here."""

from kit.access import REGISTRY_READ, Internal, RouteAccess

OFFICER = Internal("filing:officer", "service or officer")  # filing.sanctions.auth.require_officer
REFERENCE = Internal("filing:reference", "officer")  # filing.reference.auth: days off and KMK rates, every due date

ACCESS = RouteAccess.of(
    public={
        "GET /healthz", "GET /readyz", "GET /metrics",
        "GET /v1/deadlines", "GET /v1/working-calendar/{year}", "GET /v1/error-codes",
        "GET /v1/receipts/{number}/verification",  # the receipt's QR code, for anyone holding the paper
        "GET /v1/kswp/verification/{code}",  # the KSWP letter's QR code
        "GET /v1/kswp/keys",  # the keys KSWP letters are signed with (JWKS)
        "GET /v1/forms", "GET /v1/forms/{form}",  # the forms' schemas
    },
    # SPT through a PJAP: obligations, returns, their submission and receipts.
    partner={
        "GET /v1/obligations", "POST /v1/obligations/{obligation}/{year}/extension", "GET /v1/returns/spt-masa-ppn/{period}", "PUT /v1/returns/spt-masa-ppn/{period}/draft",
        "POST /v1/returns/spt-masa-ppn/{period}/submission", "GET /v1/returns/spt-masa-ppn/{period}/submission",
        "GET /v1/receipts/{number}", "GET /v1/receipts/{number}/pdf",
        "POST /v1/returns/{form}/{period}/submission", "GET /v1/returns/{form}/{period}/submission",
        "GET /v1/returns/{form}/{period}/versions", "GET /v1/returns/{form}/{period}",
        "PUT /v1/returns/{form}/{period}/draft", "GET /v1/skps", "GET /v1/stps",
        "POST /v1/kswp", "GET /v1/kswp/{kswp_id}", "GET /v1/kswp/{kswp_id}/letter", "POST /v1/skb/applications",
    },
    internal={
        "GET /internal/v1/taxpayers/{npwp}": Internal(REGISTRY_READ),
        "POST /internal/v1/audits": OFFICER, "GET /internal/v1/audits/{audit_id}": OFFICER,
        "POST /internal/v1/audits/{audit_id}/skps": OFFICER, "POST /internal/v1/audits/{audit_id}/closure": OFFICER,
        "POST /internal/v1/sanction-runs": OFFICER,
        "GET /internal/v1/skb/applications": OFFICER,
        "POST /internal/v1/skb/applications/{application_id}/decision": OFFICER,
        # a Surat Teguran about a return (UU KUP Art 3(7)(c))
        "POST /internal/v1/written-warnings": OFFICER, "GET /internal/v1/written-warnings": OFFICER,
        # reference data every process uses at once: a year's days off (SKB 3 Menteri), a month's KMK rates
        "PUT /internal/v1/calendar/{year}": REFERENCE, "PUT /internal/v1/interest-rates/{month}": REFERENCE,
    },
    # A withholder checks the SKB of the payee it is about to withhold from (by NPWP or by the SKB's number).
    any_caller={"GET /v1/skb", "GET /v1/skb/{number}"},
)
