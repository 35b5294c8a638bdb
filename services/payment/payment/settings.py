from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field

from kit.settings import BaseServiceSettings, DatabaseSettings, RequiredInProd, service_config
from kit.webhooks import WebhookSettings


class BillingSettings(BaseModel):
    expiry_interval_s: float = Field(default=30.0, gt=0, description="how often the worker looks for expired codes")
    expiry_batch: int = Field(default=500, ge=1, description="codes expired per transaction")


class BankSettings(BaseModel):
    clock_skew_s: int = Field(default=300, ge=0, description="how far in the future a bank's paid_at may be")


class LegacyImportSettings(BaseModel):
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=1,
                           description="largest legacy debt file one import takes (spooled to disk as it arrives; "
                                       "~100 bytes a row: some 2.5 million rows)")
    batch: int = Field(default=10_000, ge=1, description="rows checked and COPYed to the staging table at a time")
    chunk: int = Field(default=100_000, ge=1,
                       description="rows written by one round of set-based statements (the rows of the next are "
                                   "checked meanwhile, and held until then: memory grows with it)")
    statement_timeout_s: float = Field(default=600.0, gt=0,
                                       description="longest statement of an import (its set-based writes over all "
                                                   "its rows), instead of the database's command timeout")
    listed_rejections: int = Field(default=10_000, ge=0, description="rejected rows listed in a report (all counted)")
    events_batch: int = Field(default=10_000, ge=1,
                              description="imported debts whose DebtRecorded the worker writes per transaction")
    events_interval_s: float = Field(default=1.0, gt=0,
                                     description="how often the worker looks for imports whose events are due")


class PHTBSettings(BaseModel):
    webhook_interval_s: float = Field(default=1.0, gt=0,
                                      description="how often the worker sends the land offices' due webhooks")


class PaymentSettings(BaseServiceSettings):
    model_config = service_config("PAYMENT_")

    service_name: str = "payment"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/payment")
    worker_port: int = 8104
    billing: BillingSettings = BillingSettings()
    bank: BankSettings = BankSettings()
    legacy_import: LegacyImportSettings = LegacyImportSettings()
    phtb: PHTBSettings = PHTBSettings()
    webhooks: WebhookSettings = WebhookSettings()  # the land offices' PHTB validations (kit.webhooks)
    reference_refresh_s: float = Field(default=30.0, gt=0, description=(
        "how often each process reads the days off and interest rates filing published (payment.reference): a "
        "publication is used within the consumer's lag plus this many seconds (PAYMENT_REFERENCE_REFRESH_S)"))
    # where the public verification routes are reached (the QR codes of the BPN and the validation letter)
    public_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8004"


@lru_cache
def get_settings() -> PaymentSettings:
    return PaymentSettings()
