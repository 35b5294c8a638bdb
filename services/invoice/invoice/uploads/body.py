"""The uploaded file, read from the request (HTTP only): the XML body itself, or the multipart field `file`; the
size limit is checked while the body streams in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from invoice.settings import InvoiceSettings
from invoice.uploads.errors import UnsupportedMediaType, UploadEmpty, UploadTooLarge
from kit.dependencies import settings_of

XML_MEDIA_TYPES = ("application/xml", "text/xml")
MULTIPART_ALLOWANCE = 64 * 1024  # the parts' headers and boundaries around the file


@dataclass(frozen=True)
class UploadedFile:
    content: bytes
    filename: str | None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(f"the limit is {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(f"the limit is {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def uploaded_file(request: Request,
                        settings: Annotated[InvoiceSettings, settings_of(InvoiceSettings)]) -> UploadedFile:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.uploads.max_bytes
    filename = None
    if media in XML_MEDIA_TYPES:
        content = await _read_limited(request, limit)
    elif media == "multipart/form-data":
        raw = await _read_limited(request, limit + MULTIPART_ALLOWANCE)
        request._body = raw  # the form parser reads the body we already bounded
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise UploadEmpty("send the file in the multipart field `file`")
        content = await upload.read()
        filename = upload.filename
        if len(content) > limit:
            raise UploadTooLarge(f"the limit is {limit} bytes")
    else:
        raise UnsupportedMediaType("send application/xml, or multipart/form-data with a `file`")
    if not content.strip():
        raise UploadEmpty()
    return UploadedFile(content, filename)


Uploaded = Annotated[UploadedFile, Depends(uploaded_file)]


def fingerprint(request: Request, file: Uploaded) -> list[bytes]:
    """What identifies an upload for its Idempotency-Key: the file and its callback URL (a multipart body differs by
    its boundary every time)."""
    return [file.content, b"\n", (request.query_params.get("callback_url") or "").encode()]
