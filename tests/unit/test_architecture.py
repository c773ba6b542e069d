"""Import direction: domain depends on nothing of ours but itself; commands never reach out
to the adapters (API, infrastructure, streams, projections)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = frozenset({"api", "infra", "streams", "projections"})


def imported_roots(source: str, *, package: str) -> set[str]:
    """Top-level names of every module the source imports, anywhere in the file (also inside
    functions and `if TYPE_CHECKING:` blocks). Relative imports count as the package itself."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                roots.add(package)
            elif node.module is not None:
                roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def imports_of_package(package: str) -> dict[str, set[str]]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {ROOT / package}"
    return {
        str(path.relative_to(ROOT)): imported_roots(path.read_text("utf8"), package=package)
        for path in files
    }


def test_the_import_collector_sees_every_kind_of_import() -> None:
    source = (
        "import os.path\n"
        "from infra.settings import Settings\n"
        "from . import sibling\n"
        "def late() -> None:\n"
        "    import api.app\n"
        "    importlib.import_module('streams.relay')\n"
    )
    assert imported_roots(source, package="domain") == {
        "os",
        "infra",
        "domain",
        "api",
        "streams",
    }


def test_domain_imports_only_the_standard_library_eventsourcing_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"eventsourcing", "domain"}
    offenders = {
        module: sorted(roots - allowed)
        for module, roots in imports_of_package("domain").items()
        if roots - allowed
    }
    assert offenders == {}


def test_domain_does_not_import_commands_or_any_adapter() -> None:
    forbidden = ADAPTERS | {"commands"}
    offenders = {
        module: sorted(roots & forbidden)
        for module, roots in imports_of_package("domain").items()
        if roots & forbidden
    }
    assert offenders == {}


def test_commands_import_no_adapter() -> None:
    offenders = {
        module: sorted(roots & ADAPTERS)
        for module, roots in imports_of_package("commands").items()
        if roots & ADAPTERS
    }
    assert offenders == {}


@pytest.mark.parametrize("package", ["domain", "commands"])
def test_the_packages_really_were_scanned(package: str) -> None:
    # A scan that found no imports would make the tests above pass vacuously.
    roots = set().union(*imports_of_package(package).values())
    assert {"domain", "eventsourcing"} <= roots
