"""The Docker SDK is imported in one module only: the engine adapter (STYLE: one adapter per
technology). Everything else reaches Docker through the ``engine`` port."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("whisk", "controller", "invoker", "standalone", "cli")
ADAPTER = Path("invoker/containers/docker_engine.py")


def _imports_docker(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "docker" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "docker":
                return True
    return False


def test_only_the_engine_adapter_imports_the_docker_sdk() -> None:
    importers = sorted(
        path.relative_to(ROOT)
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imports_docker(path)
    )

    assert importers == [ADAPTER]
