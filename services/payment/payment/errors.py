"""What the payment service's routes declare of their errors (each slice keeps its own errors in `errors.py`)."""

from __future__ import annotations

from kit.errors import AppError, Forbidden


class OfficerRequired(Forbidden):
    code, title = "auth.officer_required", "Only an officer's or an internal service's client may call this endpoint"


class LandOfficeRequired(Forbidden):
    code, title = "auth.land_office_required", "Only a land office's client may call this endpoint"


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, object]]:
    """`responses=` for a route: each error's status, with every code that status can carry in its description."""
    out: dict[int | str, dict[str, object]] = {}
    for error in errors:
        if error.status in out:
            out[error.status]["description"] = f"{out[error.status]['description']}; {error.title} (`{error.code}`)"
        else:
            out[error.status] = error.openapi()
    return out
