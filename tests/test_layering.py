"""The house rules of CONVENTIONS.md §3-4 that import-linter cannot see, checked on the source of every service.

- SQL lives in repositories: outside `repository.py`, `models.py` and migrations, a service module may import from
  SQLAlchemy only the session types (`sqlalchemy.ext.asyncio`) and its exceptions (`sqlalchemy.exc`), so it cannot
  build a statement.
- Every feature slice has the same files: a package with `endpoints.py` also has `service.py` and `schemas.py`, and a
  `repository.py` unless it reads no table (a slice of pure rules, such as filing's calendar).
- No imports inside function bodies: they hide import cycles (the arrows import-linter checks).
- Digits in a regular expression are `[0-9]`, never `\\d`: Python's and pydantic's `\\d` take any script's digits, so
  "٢٠٢٦-٠٢" would pass as a period and `int()` would read it (kit/text.py). Where any digit is meant (a password's
  character classes, masking digits in a provider's error text) the module is listed below.

import-linter (`make lint`) checks the arrows: services independent, libs never into services, and inside each slice
endpoints -> service -> repository, never back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "invoice", "filing", "payment", "notification")
SQL_ALLOWED_IN = {"repository.py", "models.py"}
SQLALCHEMY_OUTSIDE_REPOSITORIES = {"sqlalchemy.ext.asyncio", "sqlalchemy.exc"}
SLICE_FILES = {"endpoints.py", "service.py", "schemas.py"}
ANY_SCRIPT_DIGITS_MEANT = {"identity/passwords.py", "notification/reports.py"}


def _modules(service: str) -> list[Path]:
    package = ROOT / "services" / service / service
    return sorted(p for p in package.rglob("*.py") if "migrations" not in p.relative_to(package).parts)


def _sqlalchemy_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            found.append((node.lineno, node.module))
    return found


def _imports_in_functions(tree: ast.AST) -> list[int]:
    lines = []
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            lines += [n.lineno for n in ast.walk(func) if isinstance(n, ast.Import | ast.ImportFrom)]
    return lines


@pytest.mark.parametrize("service", SERVICES)
def test_sql_is_built_only_in_repositories_and_models(service: str) -> None:
    offences = []
    for path in _modules(service):
        if path.name in SQL_ALLOWED_IN:
            continue
        for line, module in _sqlalchemy_imports(ast.parse(path.read_text(), str(path))):
            if module not in SQLALCHEMY_OUTSIDE_REPOSITORIES:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not offences, "SQL outside a repository:\n" + "\n".join(offences)


@pytest.mark.parametrize("service", SERVICES)
def test_every_slice_has_the_same_files(service: str) -> None:
    package = ROOT / "services" / service / service
    slices = sorted({p.parent for p in package.rglob("endpoints.py")})
    incomplete = {str(s.relative_to(ROOT)): sorted(SLICE_FILES - {p.name for p in s.glob("*.py")}) for s in slices}
    assert not {k: v for k, v in incomplete.items() if v}, f"slices missing files: {incomplete}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_imports_inside_functions(service: str) -> None:
    offences = [f"{path.relative_to(ROOT)}:{line}" for path in _modules(service)
                for line in _imports_in_functions(ast.parse(path.read_text(), str(path)))]
    assert not offences, "imports inside function bodies (they hide cycles):\n" + "\n".join(offences)


def _regex_literals_with_unicode_digits(tree: ast.AST) -> list[int]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and "\\d" in n.value and id(n) not in docstrings]


@pytest.mark.parametrize("package", [*(f"services/{s}/{s}" for s in SERVICES), "libs/kit/kit", "libs/contracts/contracts"])
def test_digits_in_patterns_are_ascii(package: str) -> None:
    offences = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / package).rglob("*.py"))
                if "/".join(path.parts[-2:]) not in ANY_SCRIPT_DIGITS_MEANT
                for line in _regex_literals_with_unicode_digits(ast.parse(path.read_text(), str(path)))]
    assert not offences, "\\d in a string (use [0-9]):\n" + "\n".join(offences)
