"""Filing's submission of an SPT Masa PPN signed by the REAL identity app (its database, token endpoint, signing
endpoint, and the liveness sandbox over HTTP to issue the credential), reached from filing's identity client
through httpx.ASGITransport, as invoice's signing e2e test does: a signer person with a Kode Otorisasi, filing's own
internal client (scope identity:sign), the taxpayer registered in filing's replica through the real broker. A wrong
passphrase is refused by identity and leaves the return unsigned; the right one files it, and the receipt's digest
and signature verify with the certificate identity issued."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pydantic import SecretStr
from sqlalchemy import select

from contracts.identity import PKPStatusChanged, TaxpayerRegistered
from filing.main import create_app as create_filing_app
from filing.registry.handlers import identity_handlers
from filing.settings import FilingSettings, IdentityClientSettings
from filing.submissions.models import spt_submission
from identity.credentials.settings import CredentialSettings
from identity.main import create_app as create_identity_app
from identity.settings import IdentitySettings, TokenSettings
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes, random_npwp
from kit.testing.service import api_client, deliver, service_settings
from kit.testing.tokens import TokenMaker
from kit.worker import ConsumerSpec
from sandbox.liveness import running_sandbox
from tests.identity_signer import internal_client, signer_with_credential

PASSPHRASE = "Rahasia#2026"
IDENTITY_TOKEN_KEY = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
MAKER = TokenMaker()
TODAY = date(2026, 4, 15)


@pytest.fixture(scope="module")
def liveness_url() -> Iterator[str]:
    with running_sandbox() as url:
        yield url


@dataclass
class Filing:
    http: httpx.AsyncClient  # filing's API, its identity client reaching the real identity app
    sessions: Any  # filing's database
    npwp: str
    signer_account: uuid.UUID
    credential: dict[str, Any]

    def headers(self) -> dict[str, str]:
        act = {"sub": str(self.signer_account), "name": "Siti Penandatangan"}
        token = MAKER.make(subject=self.npwp, scopes=["filing:read", "filing:draft", "filing:submit"],
                           taxpayer_ids=[self.npwp], act=act)
        return {"authorization": f"Bearer {token}"}

    async def submit(self, passphrase: str) -> httpx.Response:
        return await self.http.post("/v1/returns/spt-masa-ppn/2026-03/submission", headers=self.headers(),
                                    json={"credential_id": self.credential["id"], "passphrase": passphrase})


@pytest.fixture
async def filing(infra: Any, liveness_url: str) -> AsyncIterator[Filing]:
    base = service_settings(infra, IdentitySettings, "identity")
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    id_settings = base.model_copy(update={
        "login": login, "tokens": TokenSettings(signing_key=SecretStr(IDENTITY_TOKEN_KEY)),
        "credentials": CredentialSettings(liveness_url=liveness_url, liveness_timeout_s=2.0)})
    id_engine = create_engine(id_settings.database, application_name="test.filing.identity", pool_size=2)
    id_sessions = create_sessionmaker(engine=id_engine)
    fil_settings = service_settings(infra, FilingSettings, "filing")
    fil_engine = create_engine(fil_settings.database, application_name="test.filing.submission", pool_size=2)
    try:
        async with api_client(create_identity_app(id_settings)) as identity:
            account_id, credential = await signer_with_credential(
                identity, id_sessions, id_settings, name="Siti Penandatangan", passphrase=PASSPHRASE,
                liveness_reference="ok-filing-e2e")
            client_id, secret = await internal_client(id_sessions, id_settings, "filing (test)")
            settings = fil_settings.model_copy(update={"identity": IdentityClientSettings(
                base_url="http://identity", client_id=client_id, client_secret=SecretStr(secret))})

            # the taxpayer in filing's replica, PKP since 2025, through the real broker and consumer
            npwp = random_npwp()
            registered = TaxpayerRegistered(taxpayer_id=str(uuid.uuid4()), npwp=npwp, nitku=npwp + "000000",
                                            name="PT Lapor Tepat", kind="company",
                                            registered_at=datetime(2024, 1, 10, 3, tzinfo=UTC))
            await deliver(settings, ConsumerSpec("identity-events", [], identity_handlers()), [
                (npwp, registered, 1),
                (npwp, PKPStatusChanged(taxpayer_id=registered.taxpayer_id, npwp=npwp, is_pkp=True,
                                        effective_date=date(2025, 1, 1), source_of_change="officer"), 2)])
            app = create_filing_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()),
                                    clock=FixedClock(TODAY), identity_http=identity)
            async with api_client(app) as http:
                yield Filing(http, create_sessionmaker(fil_engine), npwp, account_id, credential)
    finally:
        await fil_engine.dispose()
        await id_engine.dispose()


async def test_identity_signs_the_return_and_the_receipt_verifies(filing: Filing) -> None:
    refused = await filing.submit("Salah#Sandi99")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["details"]["signer_code"], problem["details"]["attempts_remaining"]) == (
        "return.unsigned", "credential.passphrase_wrong", 4)
    missing = await filing.http.get("/v1/returns/spt-masa-ppn/2026-03/submission", headers=filing.headers())
    assert missing.status_code == 404  # nothing was submitted

    response = await filing.submit(PASSPHRASE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"], body["signer_account_id"]) == (
        "filed", "nihil", str(filing.signer_account))
    assert body["certificate_serial"] == filing.credential["serial_number"]

    # the signature identity made verifies over the digest of the stored content, with identity's certificate
    async with filing.sessions() as s:
        stored = (await s.execute(select(spt_submission).where(
            spt_submission.c.spt_id == uuid.UUID(body["spt_id"])))).one()
        (key, envelope, _), = await outbox_envelopes(s, event_type="SPTSubmitted", subjects=[body["spt_id"]])
    certificate = x509.load_pem_x509_certificate(filing.credential["certificate_pem"].encode())
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    digest = bytes.fromhex(body["content_digest"])
    public_key.verify(base64.b64decode(stored.signature), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    assert (key, envelope.data["receipt_number"], envelope.data["signer_account_id"]) == (
        filing.npwp, body["receipt"]["number"], str(filing.signer_account))

    verified = (await filing.http.get(f"/v1/receipts/{body['receipt']['number']}/verification")).json()
    assert (verified["valid"], verified["content_digest"], verified["npwp_masked"][-4:]) == (
        True, body["content_digest"], filing.npwp[-4:])
