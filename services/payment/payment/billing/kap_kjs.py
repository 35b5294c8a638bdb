"""Which deposit types (KJS) go with which tax account (KAP), and what each pair needs on a billing code: a tax
period (month `YYYY-MM` or year `YYYY`) or the number of the STP/SKP it pays. The table is data
(`data/kap_kjs.json`, from tax-rules §4.3); a liability is identified by its KAP-KJS and either its period or its
assessment number, never both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Literal

from payment.billing.errors import (
    AssessmentNumberInvalid,
    AssessmentNumberNotApplicable,
    AssessmentNumberRequired,
    KapKjsInvalid,
    KapUnknown,
    KjsNotForKap,
    PeriodInvalid,
    PeriodNotApplicable,
    PeriodRequired,
)

PeriodKind = Literal["month", "year"]

_KAP_KJS = re.compile(r"[0-9]{6}-[0-9]{3}")
_PERIOD = {"month": re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"), "year": re.compile(r"[0-9]{4}")}
ASSESSMENT_NUMBER_MAX = 64


@dataclass(frozen=True)
class KapKjsRule:
    kap: str
    kjs: str
    kap_name: str
    kjs_name: str
    period_kind: PeriodKind | None
    needs_assessment: bool

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"


@dataclass(frozen=True)
class BillingSubject:
    """What a payment is for, checked: the rule, and the period or assessment number it names (the other is None)."""

    rule: KapKjsRule
    period: str | None
    assessment_number: str | None


@cache
def kap_kjs_table() -> dict[str, dict[str, KapKjsRule]]:
    """KAP -> KJS -> rule, from the packaged data file."""
    raw = json.loads((files("payment.billing") / "data" / "kap_kjs.json").read_text(encoding="utf-8"))
    return {
        kap: {
            kjs: KapKjsRule(kap, kjs, entry["name"], spec["name"], spec["period"], bool(spec["assessment"]))
            for kjs, spec in entry["kjs"].items()
        }
        for kap, entry in raw["kap"].items()
    }


def parse_kap_kjs(value: str) -> tuple[str, str]:
    """('411121', '100') from '411121-100'; `KapKjsInvalid` for anything else."""
    if not _KAP_KJS.fullmatch(value):
        raise KapKjsInvalid(f"not a KAP-KJS: {value!r}")
    kap, kjs = value.split("-")
    return kap, kjs


@lru_cache(maxsize=1024)  # a few dozen pairs in use; a bulk import asks a million times
def rule_for(kap_kjs: str) -> KapKjsRule:
    """The rule of a KAP-KJS pair, or `KapKjsInvalid` / `KapUnknown` / `KjsNotForKap`."""
    kap, kjs = parse_kap_kjs(kap_kjs)
    table = kap_kjs_table()
    if kap not in table:
        raise KapUnknown(f"unknown KAP {kap}", kap=kap)
    if kjs not in table[kap]:
        raise KjsNotForKap(f"KJS {kjs} does not go with KAP {kap}", kap=kap, kjs=kjs, allowed=sorted(table[kap]))
    return table[kap][kjs]


def check_billing_subject(kap_kjs: str, *, period: str | None = None,
                          assessment_number: str | None = None) -> BillingSubject:
    """Check a KAP-KJS with the period and assessment number given for it; blank strings count as absent.

    Raises the first problem found: `billing.kap_kjs_invalid`, `billing.kap_unknown`, `billing.kjs_not_for_kap`,
    `billing.period_required` / `_invalid` / `_not_applicable`, `billing.assessment_number_required` / `_invalid` /
    `_not_applicable`.
    """
    rule = rule_for(kap_kjs)
    period = (period or "").strip() or None
    number = (assessment_number or "").strip() or None
    if rule.period_kind is None:
        if period is not None:
            raise PeriodNotApplicable(f"{rule.kap_kjs} takes no tax period", kap_kjs=rule.kap_kjs)
    elif period is None:
        raise PeriodRequired(f"{rule.kap_kjs} needs a tax period ({rule.period_kind})", kap_kjs=rule.kap_kjs,
                             period_kind=rule.period_kind)
    elif not _PERIOD[rule.period_kind].fullmatch(period):
        raise PeriodInvalid(f"{rule.kap_kjs} needs a {rule.period_kind} period, not {period!r}",
                            kap_kjs=rule.kap_kjs, period_kind=rule.period_kind)
    if not rule.needs_assessment:
        if number is not None:
            raise AssessmentNumberNotApplicable(f"{rule.kap_kjs} does not pay an STP or SKP", kap_kjs=rule.kap_kjs)
    elif number is None:
        raise AssessmentNumberRequired(f"{rule.kap_kjs} pays an STP or SKP: give its number", kap_kjs=rule.kap_kjs)
    elif len(number) > ASSESSMENT_NUMBER_MAX or not number.isprintable():
        raise AssessmentNumberInvalid(f"assessment numbers are printable and at most {ASSESSMENT_NUMBER_MAX} long",
                                      kap_kjs=rule.kap_kjs)
    return BillingSubject(rule, period, number)
