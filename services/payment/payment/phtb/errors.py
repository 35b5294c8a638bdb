"""Errors of the PHTB slice, each with a stable code."""

from __future__ import annotations

from kit.errors import ValidationFailed


class NOPInvalid(ValidationFailed):
    """`details.reason`: length (not 18 digits once the dots and dash are removed) or digits."""

    code, title = "phtb.nop_invalid", "A NOP is 18 digits"


class CategoryUnknown(ValidationFailed):
    """`details.allowed` lists the categories of PP 34/2016 Art 2."""

    code, title = "phtb.category_unknown", "Unknown kind of land or building transfer"
