"""What the signing-credential endpoints need at run time (the liveness client, the CA), set up in the app's
lifespan: `create_service_app(..., startup=[..., credentials_lifespan(settings.credentials, settings.env)])`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.credentials.authority import CertificateAuthority
from identity.credentials.keystore import KdfParams
from identity.credentials.liveness import LivenessClient
from identity.credentials.repository import CredentialRepository
from identity.credentials.settings import CredentialSettings
from kit.app import AppState, StartupStep
from kit.settings import Environment

log = logging.getLogger(__name__)
AUTHORITY_NAME = "default"
_DEV_LIVENESS_KEY = CredentialSettings().liveness_api_key.get_secret_value()


class CredentialsRuntime:
    def __init__(self, settings: CredentialSettings, *, env: Environment, sessions: async_sessionmaker[AsyncSession],
                 liveness: LivenessClient) -> None:
        self.settings = settings
        self.env = env
        self.liveness = liveness
        self.kdf = KdfParams(settings.kdf_log2_n, settings.kdf_r, settings.kdf_p)
        self._sessions = sessions
        self._authority: CertificateAuthority | None = None
        self._lock = asyncio.Lock()
        if settings.ca_key is not None and settings.ca_cert:
            self._authority = CertificateAuthority.from_pem(settings.ca_key.get_secret_value().encode(),
                                                            settings.ca_cert.encode())
        elif env is Environment.prod:
            raise RuntimeError("IDENTITY_CREDENTIALS__CA_KEY and IDENTITY_CREDENTIALS__CA_CERT are required in prod")
        if env is Environment.prod and settings.liveness_api_key.get_secret_value() == _DEV_LIVENESS_KEY:
            raise RuntimeError("IDENTITY_CREDENTIALS__LIVENESS_API_KEY must be set in prod")

    async def authority(self) -> CertificateAuthority:
        """The configured CA; else (dev/test) the one in the database, generated on first use. Concurrent first
        uses, here or in another replica, agree on one: the first insert wins and everyone reads it back."""
        if self._authority is not None:
            return self._authority
        async with self._lock:
            if self._authority is None:
                self._authority = await self._load_or_create()
        return self._authority

    async def _load_or_create(self) -> CertificateAuthority:
        async with self._sessions() as session:
            repo = CredentialRepository(session)
            row = await repo.authority(AUTHORITY_NAME)
            if row is None:
                generated = CertificateAuthority.generate()
                await repo.insert_authority_if_absent(name=AUTHORITY_NAME, certificate_pem=generated.certificate_pem(),
                                                      private_key_pem=generated.key_pem())
                await session.commit()
                row = await repo.authority(AUTHORITY_NAME)
                assert row is not None
                log.warning("signing CA generated and stored in the database (development only)")
            return CertificateAuthority.from_pem(row.private_key_pem.encode(), row.certificate_pem.encode())


def credentials_lifespan(credential_settings: CredentialSettings, env: Environment) -> StartupStep:
    """A start-up step for `create_service_app`: provides the `CredentialsRuntime`."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        liveness = LivenessClient.from_settings(credential_settings)
        try:
            state.provide(CredentialsRuntime(credential_settings, env=env, sessions=state.sessions,
                                             liveness=liveness))
            yield
        finally:
            await liveness.aclose()

    return step
