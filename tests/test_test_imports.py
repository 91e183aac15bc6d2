"""Tests and benchmarks share helpers through tests/support only: no test module, helper or benchmark imports
a test module (or any other module under tests/ outside tests/support)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports_of_tests(path: Path) -> list[str]:
    """Modules under `tests` that the file imports (`from tests import x` names tests.x)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "tests" or a.name.startswith("tests.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append("." * node.level + (node.module or ""))  # relative: always reported
            elif node.module == "tests":
                found += [f"tests.{a.name}" for a in node.names]
            elif node.module and node.module.startswith("tests."):
                found.append(node.module)
    return found


def test_only_tests_support_is_imported_across():
    files = sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py")])
    wrong = [
        f"{path.relative_to(ROOT)}: imports {name}"
        for path in files
        for name in _imports_of_tests(path)
        if not (name == "tests.support" or name.startswith("tests.support."))
    ]
    assert files and not wrong, "\n".join(wrong)


def test_the_check_sees_every_form_of_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import tests.test_a\nfrom tests import test_b, support\nfrom tests.test_c import x\n"
                      "from .test_d import y\nfrom tests.support.net import free_port\n", encoding="utf-8")
    assert _imports_of_tests(module) == ["tests.test_a", "tests.test_b", "tests.support", "tests.test_c",
                                         ".test_d", "tests.support.net"]
