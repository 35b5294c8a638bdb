import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.identity import TaxpayerKind


class TaxpayerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^\d{16}$", description="NPWP16")
    name: str = Field(min_length=1, max_length=200)
    kind: TaxpayerKind = "individual"


class TaxpayerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    registered_at: datetime
