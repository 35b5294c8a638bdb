"""Events published by the identity service on `identity.events`, keyed by the taxpayer's NPWP."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.registry import Contract, register

TOPIC = "identity.events"

TaxpayerKind = Literal["individual", "company", "government"]


@register
class TaxpayerRegistered(Contract):
    """A taxpayer record now exists: every service keeps a replica of the registry from this fact."""

    type: ClassVar[str] = "TaxpayerRegistered"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    taxpayer_id: str = Field(description="identity's id of the taxpayer (uuid)")
    npwp: str = Field(pattern=r"^\d{16}$", description="NPWP16")
    nitku: str = Field(pattern=r"^\d{22}$", description="NITKU of the head office")
    name: str = Field(min_length=1, max_length=200)
    kind: TaxpayerKind
    registered_at: datetime
