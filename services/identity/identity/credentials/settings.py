"""Settings of the signing-credential module: `IDENTITY_CREDENTIALS__<KEY>`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr

from kit.settings import RequiredInProd


class CredentialSettings(BaseModel):
    # Face/liveness provider: its HTTPS endpoint in production; sandbox.liveness (libs/sandbox) in dev/test.
    liveness_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8011"
    liveness_api_key: Annotated[SecretStr, RequiredInProd()] = SecretStr("dev-only-liveness-key")
    liveness_timeout_s: float = 5.0

    # The issuing CA: ECDSA P-256 private key (PKCS#8 PEM) and its certificate (PEM). Required in prod (a mounted
    # secret; the key is never written to the database). Unset in dev/test: a CA is generated on first use and kept
    # in the `signing_authority` table, so restarts keep it.
    ca_key: Annotated[SecretStr | None, RequiredInProd()] = None
    ca_cert: Annotated[str | None, RequiredInProd()] = None

    # scrypt cost for the key that seals a holder's private key under their passphrase. Stored with each credential,
    # so raising it only affects new credentials. N=2^14, r=8, p=1: 16 MiB and ~55 ms on one core, paid once per call.
    kdf_log2_n: int = Field(14, ge=10, le=22)
    kdf_r: int = Field(8, ge=1, le=32)
    kdf_p: int = Field(1, ge=1, le=16)

    ko_validity_days: int = 730  # a Kode Otorisasi is valid 2 years (tax-rules §3.10)
    certificate_validity_days: int = 365  # electronic certificate (PSrE-style)

    # Wrong passphrases: after `max_failed_passphrases` within `failure_window_s`, the credential is locked for
    # `lockout_s`. It always ends; a forgotten passphrase is handled by requesting a new credential.
    max_failed_passphrases: int = 5
    failure_window_s: int = 900
    lockout_s: int = 1800

    max_digests_per_call: int = 5000

    # Signing sessions (a hardware token's PIN unlock): one passphrase check opens the key for a short while, for a
    # budget of signatures, bound to the holder's login session. Asked-for terms above the maxima are refused.
    session_default_ttl_s: int = Field(900, ge=60)
    session_max_ttl_s: int = Field(3600, ge=60)
    session_default_max_signatures: int = Field(10_000, ge=1)
    session_max_signatures: int = Field(100_000, ge=1)
