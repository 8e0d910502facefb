"""No module of the three packages reads or writes another one's private names.

    PACKAGES : bayesopt, acquisition, kernels (their ``.py`` files, parsed, not imported)
    defined  : per module, the private names (one leading underscore) it defines —
               functions, classes, module variables, attributes it assigns
    use      : ``from ours import _name``, or ``anything._name`` in a module that
               defines no ``_name`` of its own

Rule: a private name is used only in the module that defines it; another module
that needs it gets a public name from its owner. A private attribute that no module
of ours defines (a third party's: scikit-learn's ``BaseSearchCV`` internals, which
`bayesopt.sklearn` builds on, ``sys._getframe``) is not ours to rename and is not
counted. A private *module* of a package (``bayesopt.integrations._optuna_space``)
is the package's own and is not a name of another module.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bayesopt", "acquisition", "kernels")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_own(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _defined(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and _is_own(node.value)):
            names.add(node.attr)  # self._x = ...: `other._x = ...` defines nothing
        elif (isinstance(node, ast.Call) and len(node.args) >= 2 and _is_own(node.args[0])
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and (getattr(node.func, "id", None) == "setattr"
                   or getattr(node.func, "attr", None) == "__setattr__")):
            names.add(node.args[1].value)  # object.__setattr__(self, "_x", ...) of a frozen class
    return {name for name in names if _private(name)}


def cross_module_uses(sources: Mapping[str, str]) -> list[str]:
    """``module:line: what`` for every use in `sources` (module name → its source) of a
    private name that another of these modules defines and the using module does not."""
    trees = {module: ast.parse(text) for module, text in sources.items()}
    defined = {module: _defined(tree) for module, tree in trees.items()}
    owners: dict[str, list[str]] = defaultdict(list)
    for module, names in defined.items():
        for name in names:
            owners[name].append(module)
    found: list[tuple[str, int, str]] = []
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in sources:
                for alias in node.names:
                    if _private(alias.name):
                        found.append((module, node.lineno,
                                      f"from {node.module} import {alias.name}"))
            elif (isinstance(node, ast.Attribute) and _private(node.attr)
                  and node.attr not in defined[module] and owners.get(node.attr)):
                where = ", ".join(owners[node.attr])
                found.append((module, node.lineno, f"{ast.unparse(node)} (defined in {where})"))
    return [f"{module}:{line}: {what}" for module, line, what in sorted(found)]


def _package_sources() -> dict[str, str]:
    sources = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            sources[module] = path.read_text(encoding="utf-8")
    return sources


def test_no_module_uses_another_modules_private_names() -> None:
    sources = _package_sources()
    assert {"bayesopt.optimizer", "acquisition.functions", "kernels.cholesky"} <= set(sources)
    assert cross_module_uses(sources) == []


def test_the_check_finds_an_import_a_private_method_and_a_private_attribute() -> None:
    """The forms the code-health review found (an imported helper, a method called on
    another module's object), and a private attribute written from outside."""
    owner = "_LADDER = (1, 2)\nclass A:\n    def _step(self): ...\n    def __init__(self):\n" \
            "        self._state = 0\n"
    user = ("from pkg.owner import A, _LADDER\n"
            "def f(a: A):\n    a._step()\n    a._state = 1\n    a._own = 2\n    return a._own\n")
    found = cross_module_uses({"pkg.owner": owner, "pkg.user": user})
    assert found == [
        "pkg.user:1: from pkg.owner import _LADDER",
        "pkg.user:3: a._step (defined in pkg.owner)",
        "pkg.user:4: a._state (defined in pkg.owner)",
    ]
    # the same uses inside the owning module, or of a third party's private name, are fine
    assert cross_module_uses({"pkg.owner": owner + "A()._step()\nimport sys\nsys._getframe()\n"}) == []
