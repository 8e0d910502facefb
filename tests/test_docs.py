"""What the README and docs/*.md show can be imported as shown.

    DOCS            : README.md and every docs/*.md (a new page is checked without edits here)
    code(doc)       : the doc's Python code — ```python blocks and `inline spans`
    PROJECT_CLASSES : the public classes defined in bayesopt/, acquisition/ and kernels/

Three rules, checked for each of DOCS:
- every `from <package> import names` of this project's packages works;
- every dotted name into the project (`bayesopt.plots.importance`) resolves;
- a project class shown by its bare name (`ModelOptions(...)`) is importable from
  `bayesopt` itself, unless the doc imports it from elsewhere.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

import bayesopt
from tests.doc_blocks import DOCS, FENCE, ROOT, python_blocks

PACKAGES = ("bayesopt", "acquisition", "kernels")
SPAN = re.compile(r"`([^`\n]+)`")
IMPORT = re.compile(r"\bfrom\s+([\w.]+)\s+import\s+(?:\(([\w\s,]+)\)|([\w \t,]+))")
IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")
# a dotted name of the project's packages; not a command-line placeholder {bayesopt.run}
DOTTED = re.compile(r"(?<![\w./{])((?:" + "|".join(PACKAGES) + r")(?:\.\w+)+)")


def project_classes() -> set[str]:
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names |= {node.name for node in tree.body
                      if isinstance(node, ast.ClassDef) and not node.name.startswith("_")}
    return names


PROJECT_CLASSES = project_classes()


def code(doc: Path) -> str:
    text = doc.read_text(encoding="utf-8")
    blocks = [body for _, body in python_blocks(text)]
    spans = SPAN.findall(FENCE.sub("", text))
    return "\n".join(blocks + spans)


def imports(doc: Path) -> list[tuple[str, str]]:
    """(module, name) for each name of each `from module import ...` (`as` dropped)."""
    return [(module, name.split()[0]) for module, grouped, names in IMPORT.findall(code(doc))
            for name in (grouped or names).split(",") if name.strip()]


def resolve(dotted: str) -> Any:
    """The object a dotted name refers to: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_what_the_docs_show_can_be_imported_as_shown(doc: Path) -> None:
    assert code(doc) and {"Optimizer", "OptimizerOptions"} <= PROJECT_CLASSES  # the scan works
    for module, name in imports(doc):
        if module.split(".")[0] in PACKAGES:
            assert hasattr(importlib.import_module(module), name), f"{doc.name}: {module}.{name}"
    for dotted in sorted(set(DOTTED.findall(code(doc)))):
        resolve(dotted)
    shown = set(IDENTIFIER.findall(code(doc))) & PROJECT_CLASSES
    imported_elsewhere = {name for module, name in imports(doc) if module != "bayesopt"}
    missing = sorted(name for name in shown - imported_elsewhere if name not in bayesopt.__all__)
    assert missing == [], f"{doc.name} shows {missing}, which `from bayesopt import` lacks"
    for name in shown - imported_elsewhere:
        assert getattr(bayesopt, name).__name__ == name
