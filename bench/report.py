"""Results: one row per number, printed as an aligned table and written as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    name: str
    value: float | None  # None: the measurement did not complete (see `note`)
    unit: str
    target: tuple[str, float] | None = None  # (">=" or "<=", threshold)
    detail: bool = False  # a supporting number, printed indented under its headline
    note: str = ""
    valid: bool = True  # False: the conditions the target is stated for were not met (the note says which)

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None or not self.valid:
            return False
        op, threshold = self.target
        return self.value >= threshold if op == ">=" else self.value <= threshold

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else {"op": self.target[0], "value": self.target[1]}
        data["pass"] = self.passed
        return data


@dataclass
class Report:
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, value: float | None, unit: str, *, target: tuple[str, float] | None = None,
            detail: bool = False, note: str = "", valid: bool = True) -> Row:
        row = Row(name, value, unit, target, detail, note, valid)
        self.rows.append(row)
        return row

    def table(self) -> str:
        cells = [("measurement", "value", "unit", "target", "result")]
        for r in self.rows:
            name = ("    " if r.detail else "") + r.name
            target = "" if r.target is None else f"{r.target[0]} {fmt(r.target[1], r.unit)}"
            result = {None: "", True: "PASS", False: "FAIL"}[r.passed]
            if r.note:
                result = (result + "  " + r.note).strip()
            cells.append((name, "n/a" if r.value is None else fmt(r.value, r.unit), r.unit, target, result))
        widths = [max(len(c[i]) for c in cells) for i in range(4)]
        lines = []
        for i, c in enumerate(cells):
            lines.append("  ".join([c[0].ljust(widths[0]), c[1].rjust(widths[1]), c[2].ljust(widths[2]),
                                    c[3].ljust(widths[3]), c[4]]).rstrip())
            if i == 0:
                lines.append("-" * max(len(line) for line in lines))
        return "\n".join(lines)

    def render(self) -> str:
        parts = list(self.header) + ["", self.table()]
        if self.footnotes:
            parts += [""] + [f"[{i}] {text}" for i, text in enumerate(self.footnotes, 1)]
        return "\n".join(parts)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.meta, "header": self.header, "results": [r.as_json() for r in self.rows],
                "footnotes": self.footnotes}
        path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def fmt(value: float, unit: str) -> str:
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit in ("ms", "s"):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    if unit.startswith("%"):
        return f"{value:.0f}"
    if unit == "x":
        return f"{value:.2f}" if value >= 0.1 else f"{value:.4f}"
    if unit == "B" or unit == "events":
        return f"{value:,.0f}"
    return f"{value:g}"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
