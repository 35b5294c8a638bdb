"""Errors of the KSWP slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Forbidden, NotFound


class AgencyRequired(Forbidden):
    code, title = "auth.agency_required", \
        "Only a requesting agency's machine client (client-credentials token with `filing:kswp`) may ask for a KSWP"


class KswpNotFound(NotFound):
    code, title = "kswp.not_found", "No such KSWP letter (for this agency)"
