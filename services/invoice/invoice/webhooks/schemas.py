from pydantic import BaseModel


class WebhookSecretRead(BaseModel):
    client_id: str
    algorithm: str
    key: str
