"""Signing credentials (issue 3, capability 8): a person's Kode Otorisasi DJP or electronic certificate.

A person asks for a credential with a passphrase after a face/liveness check (`liveness.py`, an adapter over HTTP);
the service's own CA (`authority.py`) certifies a fresh ECDSA P-256 key pair under the holder's own name, read from
the person row of the authenticated account; the private key is stored sealed under the passphrase (`keystore.py`).
Internal services then sign batches of digests with it (`POST /internal/v1/signatures`), each call with the
passphrase (one scrypt), or in a signing session the holder opened with it once (`.../{id}/sessions`; hardware-token
style: short, budgeted, bound to the holder's login session, audited per use; `session_rules.py`).

Import the pieces from their modules (`identity.credentials.endpoints`, `.runtime`, `.settings`): this package's
`__init__` stays empty so that `identity.settings` can import `identity.credentials.settings` without a cycle.
"""
