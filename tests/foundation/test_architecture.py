"""The architecture, checked: one domain core under two thin HTTP surfaces (docs/architecture.md).

- The package layers and "no cycle between top-level packages" are import-linter contracts (`.importlinter`).
- Within the core, models import only models and the kit; repositories import no service and no HTTP; the core
  imports no HTTP; no domain imports another inside a function (a reaction to a change goes through the lifecycle's
  effect registry; provider factories may load their own adapters lazily).
- The hospital surface's public organization is chosen at the HTTP edge, never read from settings in the core.
- Wire dicts (camelCase keys) are built only in ``http/``; provider adapters speak their provider's format.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "clinicops"
# Infrastructure below every domain, and entry points above them: not domain packages.
NOT_DOMAINS = {"kit", "http", "seed", "migrations", "main", "cli", "wiring", "config", "db", "errors", "jobs",
               "logging", "serving", "gunicorn_logging", "schema_migrations", "__init__", "__version__"}
DEFAULT_ORGANIZATION_READERS = ("http/", "cli.py", "config.py", "seed/")
CAMEL_KEY = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")


@dataclass(frozen=True)
class Module:
    path: Path
    name: str  # dotted, e.g. clinicops.appointments.booking

    @property
    def relative(self) -> str:
        return self.path.relative_to(PACKAGE).as_posix()

    @property
    def package(self) -> str:
        return self.name.split(".")[1]

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def role(self) -> str:
        return role_of(self.name)

    @property
    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(), filename=str(self.path))


def modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "migrations" in parts or len(parts) < 2:
            continue
        found.append(Module(path, ".".join(parts)))
    return found


def imports_of(module: Module, *, only_in_functions: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import of clinicops code in ``module``."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                # `from clinicops.x import y` imports the module clinicops.x.y when there is one
                names = {f"{child.module}.{a.name}" if _module_path(f"{child.module}.{a.name}") else child.module
                         for a in child.names}
                targets = sorted(n for n in names if n.startswith("clinicops."))
            elif isinstance(child, ast.Import):
                targets = [a.name for a in child.names if a.name.startswith("clinicops.")]
            else:
                targets = []
            if targets and (in_function or not only_in_functions):
                found.extend((child.lineno, target) for target in targets)
            visit(child, nested)

    visit(module.tree, False)
    return found


def _module_path(name: str) -> Path | None:
    """The file of a dotted clinicops module (None for a name imported from a module, not a module)."""
    base = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def role_of(name: str) -> str:
    """http, models, repository (SQL), service (a use case: it reaches a repository, directly or through what it
    imports), support (pure code any layer may share: exceptions, the principal, scopes, the slot engine …) or
    infrastructure."""
    parts = name.split(".")
    if len(parts) < 2 or parts[1] in NOT_DOMAINS:
        return "http" if len(parts) > 1 and parts[1] == "http" else "infrastructure"
    path = _module_path(name)
    if path is None:  # `from clinicops.x.y import Name`: the role of clinicops.x.y
        return role_of(".".join(parts[:-1]))
    if _is_models(name):
        return "models"
    if _is_repository(name):
        return "repository"
    if path.name == "__init__.py":
        return "support"
    return "service" if _reaches_repository(name, set()) else "support"


def _reaches_repository(name: str, seen: set[str]) -> bool:
    """Whether ``name`` uses a repository, directly or through the modules it imports (models aside)."""
    path = _module_path(name)
    if path is None or name in seen:
        return False
    seen.add(name)
    for _, target in imports_of(Module(path, name)):
        if target.split(".")[1] in NOT_DOMAINS or _is_models(target):
            continue
        if _is_repository(target) or _reaches_repository(target, seen):
            return True
    return False


def _is_models(name: str) -> bool:
    parts = name.split(".")
    return parts[-1] == "models" or (len(parts) > 2 and parts[2] == "models")


def _is_repository(name: str) -> bool:
    leaf = name.rsplit(".", 1)[-1]
    return name.split(".")[1] not in NOT_DOMAINS and (leaf.endswith("repository") or leaf == "queries")


def test_import_contracts_are_kept():
    """`.importlinter`: the package layers (http > domains in order > infrastructure > kit) and no cycle."""
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True) == 0, \
        "import-linter contracts broken: run `.venv/bin/lint-imports` for the report"


def test_no_domain_imports_another_inside_a_function():
    offenders = [f"{m.relative}:{line} imports {target}"
                 for m in modules() if m.package not in NOT_DOMAINS | {"http"}
                 for line, target in imports_of(m, only_in_functions=True)
                 if target.split(".")[1] != m.package and target.split(".")[1] not in NOT_DOMAINS]
    assert offenders == [], "react to a change through the lifecycle's effects instead:\n" + "\n".join(offenders)


def test_http_imports_nothing_inside_functions():
    offenders = [f"{m.relative}:{line} imports {target}" for m in modules() if m.package == "http"
                 for line, target in imports_of(m, only_in_functions=True) if target.split(".")[1] != "http"]
    assert offenders == [], "\n".join(offenders)


@pytest.mark.parametrize("role, forbidden", [
    ("models", {"service", "repository", "http"}),
    ("repository", {"service", "http"}),
    ("support", {"service", "repository", "http"}),
    ("service", {"http"}),
    ("infrastructure", {"http"}),
])
def test_layers_within_the_core(role, forbidden):
    """http → services → repositories → models: nothing reaches up."""
    offenders = [f"{m.relative}:{line} ({role}) imports {target} ({role_of(target)})"
                 for m in modules() if m.role == role and m.package not in {"main", "cli", "wiring", "seed"}
                 for line, target in imports_of(m) if role_of(target) in forbidden]
    assert offenders == [], "\n".join(offenders)


def test_http_takes_only_types_from_repositories():
    """Routes call services; a route may name a repository's read-model type, never call a repository."""
    offenders = []
    for m in modules():
        if m.package != "http":
            continue
        for node in ast.walk(m.tree):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clinicops.")):
                continue
            if role_of(node.module) == "repository":
                offenders += [f"{m.relative}:{node.lineno} {node.module}.{a.name}"
                              for a in node.names if not a.name[:1].isupper()]
            else:
                offenders += [f"{m.relative}:{node.lineno} {node.module}.{a.name}" for a in node.names
                              if role_of(f"{node.module}.{a.name}") == "repository"]
    assert offenders == [], "\n".join(offenders)


def test_the_public_organization_is_chosen_at_the_edge():
    offenders = [f"{m.relative}" for m in modules()
                 if "default_organization" in m.path.read_text()
                 and not m.relative.startswith(DEFAULT_ORGANIZATION_READERS)]
    assert offenders == [], "services take the tenant from their caller:\n" + "\n".join(offenders)


def test_wire_dicts_are_built_only_in_http():
    offenders = []
    for m in modules():
        if m.package == "http" or "providers" in m.name.split("."):
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Dict):
                offenders += [f"{m.relative}:{key.lineno} {key.value!r}" for key in node.keys
                              if isinstance(key, ast.Constant) and isinstance(key.value, str)
                              and CAMEL_KEY.match(key.value)]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
                offenders += [f"{m.relative}:{node.lineno} {kw.arg}=" for kw in node.keywords
                              if kw.arg and CAMEL_KEY.match(kw.arg)]
    assert offenders == [], "build the surface's wire format in http/:\n" + "\n".join(offenders)
