"""OpenAPI `responses=` for a route from the errors it can raise (several codes may share a status)."""

from __future__ import annotations

from typing import Any

from kit.errors import AppError


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        if error.status in out:
            out[error.status] = {**out[error.status],
                                 "description": f"{out[error.status]['description']}; {error.title} (`{error.code}`)"}
        else:
            out[error.status] = error.openapi()
    return out
