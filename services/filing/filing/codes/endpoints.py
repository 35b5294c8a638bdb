"""`GET /v1/error-codes`: public, like the deadlines."""

from __future__ import annotations

from fastapi import APIRouter

from filing.codes import service
from filing.codes.schemas import ErrorCodeRead

router = APIRouter(prefix="/v1", tags=["error codes (public)"])


@router.get("/error-codes", response_model=list[ErrorCodeRead],
            summary="Every error code the filing API answers with (problem+json `code`), its status and title")
async def list_error_codes() -> list[ErrorCodeRead]:
    return service.error_codes()
