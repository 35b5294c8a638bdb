"""Face/liveness check adapter: liveness detection plus a face match against the population registry's e-KTP photo
(tax-rules §8.3), done by an external provider over HTTPS.

Protocol (what `sandbox.liveness` in libs/sandbox implements): `POST {url}/v1/face-checks` with header `x-api-key` and
`{"reference": <the capture session the front end got from the provider's SDK>, "subject": {"type": "nik"|"passport",
"number": ..., "country": ...}}` -> 200 `{"check_id", "decision": "match"|"no_match", "reason", "subject": {...}}`.

The subject sent is the authenticated person's, from their person row. A "match" for any other subject than the one
asked about is treated as a failure: a provider answer that got mixed up must not turn into a credential.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from identity.credentials.authority import Holder
from identity.credentials.errors import FaceCheckUnavailable
from identity.credentials.settings import CredentialSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceCheckResult:
    passed: bool
    reason: str | None = None  # no_match reasons: face_mismatch, no_face_detected, subject_mismatch, ...
    check_id: str | None = None


class LivenessClient:
    def __init__(self, http: httpx.AsyncClient, api_key: str) -> None:
        self._http = http
        self._api_key = api_key

    @classmethod
    def from_settings(cls, settings: CredentialSettings) -> LivenessClient:
        timeout = httpx.Timeout(settings.liveness_timeout_s, connect=min(2.0, settings.liveness_timeout_s))
        http = httpx.AsyncClient(base_url=settings.liveness_url, timeout=timeout,
                                 limits=httpx.Limits(max_connections=50, max_keepalive_connections=10))
        return cls(http, settings.liveness_api_key.get_secret_value())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def check(self, *, reference: str, holder: Holder) -> FaceCheckResult:
        subject = {"type": holder.id_type, "number": holder.id_number, "country": holder.id_country}
        try:
            response = await self._http.post("/v1/face-checks", json={"reference": reference, "subject": subject},
                                             headers={"x-api-key": self._api_key})
        except httpx.HTTPError as exc:
            log.warning("face check provider unreachable", extra={"error": type(exc).__name__})
            raise FaceCheckUnavailable() from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            log.warning("face check provider refused", extra={"status": response.status_code})
            raise FaceCheckUnavailable()
        if response.status_code >= 400:  # the provider does not know or accept this capture session
            return FaceCheckResult(False, "reference_rejected")
        try:
            body = response.json()
            decision, answered = body["decision"], body["subject"]
        except (ValueError, KeyError, TypeError):
            log.warning("face check provider answered nonsense")
            raise FaceCheckUnavailable() from None
        check_id = str(body.get("check_id") or "") or None
        if decision != "match":
            return FaceCheckResult(False, str(body.get("reason") or "no_match"), check_id)
        if not isinstance(answered, dict) or any(answered.get(k) != v for k, v in subject.items()):
            log.warning("face check answered for another subject", extra={"check_id": check_id})
            return FaceCheckResult(False, "subject_mismatch", check_id)
        return FaceCheckResult(True, None, check_id)
