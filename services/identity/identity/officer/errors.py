"""Errors of the officer tools, each with a stable code."""

from kit.errors import Conflict


class NotMatchable(Conflict):
    code, title = "nik_matching.not_applicable", "This taxpayer cannot be matched to a NIK"
