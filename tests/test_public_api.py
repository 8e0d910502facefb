"""The public names of `bayesopt`: what `from bayesopt import X` returns.

    SUBMODULES : every module under the `bayesopt` package (pkgutil.walk_packages)

Importing a submodule binds it as an attribute of its package, so a submodule
named like a public name (a module `bayesopt.minimize` beside the function
`minimize`) replaces the function with the module for every later
`from bayesopt import` — whenever the submodule is first imported by another
path than the name itself. Which path comes first depends on the program, so the
check runs in a fresh interpreter that imports every submodule before it looks at
any public name. A submodule whose optional extra is not installed is left out,
and the test warns with the reason.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap
import warnings

import bayesopt

SUBMODULES = sorted(info.name for info in pkgutil.walk_packages(
    bayesopt.__path__, "bayesopt.", onerror=lambda name: None))

CHECK = textwrap.dedent("""
    import importlib, inspect, json, sys
    skipped, problems = {}, []
    for module in sys.argv[1:]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            missing = (error.name or "").split(".")[0]
            if not missing or missing in {"bayesopt", "kernels", "acquisition"}:
                raise
            skipped[module] = f"needs the optional dependency {missing!r}, not installed"
    import bayesopt
    for name in bayesopt.__all__:
        namespace = {}
        exec(f"from bayesopt import {name}", namespace)  # the statement users write
        obj = namespace[name]
        if name == "__version__":
            ok = isinstance(obj, str)
        else:  # the documented class or function, defined in this project
            ok = ((inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__name__ == name
                  and obj.__module__.split(".")[0] in {"bayesopt", "kernels", "acquisition"})
        if not ok:
            problems.append(f"bayesopt.{name} is {obj!r}")
    print(json.dumps({"skipped": skipped, "problems": problems}))
""")


def test_no_submodule_is_named_like_a_public_name() -> None:
    assert {"bayesopt.optimizer", "bayesopt.space", "bayesopt.demo"} <= set(SUBMODULES)
    children = {name.split(".")[1] for name in SUBMODULES}
    assert children.isdisjoint(bayesopt.__all__), children & set(bayesopt.__all__)


def test_after_importing_every_submodule_each_public_name_is_its_object() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK, *SUBMODULES], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["problems"] == [], report["problems"]
    for module, reason in report["skipped"].items():
        warnings.warn(f"not imported: {module} {reason}", stacklevel=1)
