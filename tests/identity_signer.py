"""What a test that signs through the real identity app needs there: a signer (a person with an account, inserted as
identity's own tests do) holding a Kode Otorisasi issued through the liveness sandbox, and the calling service's
internal client (`identity:sign`). Used by invoice's and filing's end-to-end signing tests."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.models import Account, Person
from identity.passwords import Passwords
from identity.pjap.service import register_client
from identity.settings import IdentitySettings
from identity.tokens import TokenIssuer
from kit.db import UnitOfWork


def _digits(n: int) -> str:
    return "".join(random.choice("0123456789") for _ in range(n))


async def signer_with_credential(identity: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession],
                                 settings: IdentitySettings, *, name: str, passphrase: str,
                                 liveness_reference: str) -> tuple[uuid.UUID, dict[str, Any]]:
    """The signer's account id and their credential as identity answered its issue."""
    async with sessions() as s:
        person = Person(kind="resident", full_name=name, nik="32" + _digits(14), identity_number=None)
        person.identity_number = person.nik
        s.add(person)
        await s.flush()
        account = Account(person_id=person.id, email=f"{uuid.uuid4().hex[:10]}@contoh.id", phone="08" + _digits(10),
                          status="active")
        s.add(account)
        await s.commit()
        account_id = account.id
    personal, _ = TokenIssuer(settings).issue(subject=str(account_id), scopes=["identity:self"])
    issued = await identity.post("/v1/signing-credentials", headers={"authorization": f"Bearer {personal}"},
                                 json={"kind": "kode_otorisasi", "passphrase": passphrase,
                                       "liveness_reference": liveness_reference})
    assert issued.status_code == 201, issued.text
    return account_id, issued.json()


async def internal_client(sessions: async_sessionmaker[AsyncSession], settings: IdentitySettings,
                          name: str) -> tuple[str, str]:
    """A service's internal client allowed to call the signing endpoint: (client id, secret)."""
    client, secret = await register_client(UnitOfWork(sessions), Passwords(settings.login), None, name=name,
                                           scopes=["identity:sign"], kind="internal", rate_limit_per_minute=6000,
                                           ip="test")
    return client.client_id, secret
