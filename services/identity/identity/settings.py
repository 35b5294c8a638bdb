from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr

from identity.credentials.settings import CredentialSettings
from kit.settings import BaseServiceSettings, DatabaseSettings, RequiredInProd, service_config


class TokenSettings(BaseModel):
    # Ed25519 private key (PKCS#8 PEM). Development generates one per data folder (devstack); production mounts it.
    signing_key: Annotated[SecretStr | None, RequiredInProd()] = None
    # identity's public base URL (https://...), for the RFC 8414 metadata; unset: the URL the request came in on.
    public_url: str | None = None
    previous_public_keys: list[str] = []  # PEM public keys still served in the JWKS during a rotation
    access_ttl_s: int = 600
    refresh_ttl_s: int = 14 * 24 * 3600


class OTPSettings(BaseModel):
    pepper: Annotated[SecretStr, RequiredInProd()] = SecretStr("dev-only-pepper-change-me")
    notification_public_key: Annotated[str | None, RequiredInProd()] = None  # X25519, base64url (kit.sealing)
    ttl_s: int = 300
    max_attempts: int = 5
    resend_cooldown_s: int = 60
    per_destination_per_hour: int = 5
    per_ip_per_hour: int = 30


class LoginSettings(BaseModel):
    free_failures: int = 5  # before back-off starts, per (login, IP)
    max_backoff_s: int = 900  # back-off doubles per failure up to this; it always ends
    # Per login from every address (NIST SP 800-63B §5.2.2, Keycloak's brute-force detection): after
    # `account_free_failures`, a wait of `account_backoff_base_s` doubling per failure, capped; failures older than
    # `account_failure_reset_s` are forgotten, a success forgets them all. Never applies at an account's known
    # addresses, so it slows guessers without locking the owner out.
    account_free_failures: int = 10
    account_backoff_base_s: int = 30
    account_max_backoff_s: int = 900
    account_failure_reset_s: int = 12 * 3600
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19_456  # OWASP: Argon2id m=19 MiB, t=2, p=1
    argon2_parallelism: int = 1
    # Argon2id runs on a pool of this many threads (0: the cores the process may use, cgroup quota included); more
    # threads than cores only make every login in flight slower.
    hash_workers: int = Field(default=0, ge=0)
    hash_nice: int = Field(default=10, ge=0, le=19)  # the hashing threads' nice value (identity.passwords)
    # Load shedding (Keycloak's http-max-queued-requests): past this many logins waiting beyond the ones the pool is
    # hashing, a login answers 503 `login.overloaded` with Retry-After at once instead of queueing. Unset: 4 per
    # hashing thread, so an admitted login waits at most about 5 Argon2id times (~200 ms), whatever the core count.
    max_queued: int | None = Field(default=None, ge=0)
    overloaded_retry_after_s: int = Field(default=1, ge=1)


class IdentitySettings(BaseServiceSettings):
    model_config = service_config("IDENTITY_")

    service_name: str = "identity"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/identity")
    worker_port: int = 8101
    tokens: TokenSettings = TokenSettings()
    otp: OTPSettings = OTPSettings()
    login: LoginSettings = LoginSettings()
    credentials: CredentialSettings = CredentialSettings()  # signing credentials (identity.credentials)


@lru_cache
def get_settings() -> IdentitySettings:
    return IdentitySettings()
