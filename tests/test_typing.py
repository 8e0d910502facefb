"""A type-checked user's view: `mypy --strict` over user code that imports bayesopt.

    USER_CODE : one user module, run through mypy once (module fixture); each line is
                one of three kinds, by its trailing comment:
                ``# refused`` — mypy must report an error on that line (the library
                raises at run time, and its annotations say so);
                ``# reveals: T`` — the line is ``reveal_type(...)`` and mypy must
                reveal exactly T;
                no marker — mypy must report no error (README-correct code, which a
                user must not have to ``# type: ignore``).
    EXAMPLES  : the scripts in examples/, checked in the same mypy run: no error.

mypy reads the package from this checkout (``mypy_path``), not an installed copy, with
a cache in the test's temporary directory; `follow_imports = silent` keeps the library's
own errors (the repository's ``mypy`` run checks those) out of the user's report, and the
host libraries of the integrations (Optuna, scikit-learn, ...) are skipped (their names
are Any), which keeps the run to seconds.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import pytest
from mypy import api

import bayesopt
from bayesopt.loop import minimize
from bayesopt.optimizer import Optimizer
from bayesopt.validation import keyword_only

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

USER_CODE = textwrap.dedent('''
    from fractions import Fraction
    from typing import Any

    import numpy as np
    import numpy.typing as npt

    from bayesopt import (Categorical, Fidelity, Integer, LinearConstraint, Observation,
                          OptimizeResult, Optimizer, Real, minimize)
    from bayesopt.test_functions import Branin

    space = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8),
             "act": Categorical(["relu", "tanh", 1, None])}
    opt = Optimizer(space, seed=0)
    reveal_type(opt.ask())  # reveals: dict[str, Any]
    reveal_type(opt.ask(4))  # reveals: list[dict[str, Any]]
    reveal_type(opt.ask(None))  # reveals: dict[str, Any]

    def ask_some(batch: int | None) -> None:
        reveal_type(opt.ask(batch))  # reveals: dict[str, Any] | list[dict[str, Any]]

    reveal_type(opt.best)  # reveals: bayesopt.result.Observation | None
    reveal_type(opt.history)  # reveals: list[bayesopt.result.Observation]
    reveal_type(opt.result())  # reveals: bayesopt.result.OptimizeResult
    reveal_type(Optimizer.resume("run.jsonl"))  # reveals: bayesopt.optimizer.Optimizer

    # every dimension type: int bounds, mixed choices, conditions, the nested form, a budget
    conditional = {
        "model": Categorical(["svm", "forest", "knn"]),
        "C": Real(1e-3, 1e3, log=True, when={"model": "svm"}),
        "kernel": Categorical(["rbf", "linear"], when={"model": "svm"}),
        "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
        "n_estimators": Integer(10, 500, log=True, when={"model": "forest"}),
        "k": Integer(1, 50, when={"model": ["knn"]}),
        "x": Real(0, 6),
        "epochs": Fidelity(1, 81, eta=3),
    }
    Optimizer(conditional)
    nested = {"model": Categorical({
        "svm": {"C": Real(1e-3, 1e3, log=True),
                "kernel": Categorical({"rbf": {"gamma": Real(1e-4, 1.0, log=True)},
                                       "linear": None})},
        "knn": {"k": Integer(1, 50)}})}
    Optimizer(nested)
    Optimizer([Real(0, 1, name="x"), Integer(1, 3, name="n")])
    Fidelity(1, 81, when={"model": "svm"})  # refused
    Integer(1.5, 8)  # refused
    Real(0, 1, log="yes")  # refused

    # tell: numpy's scalars and arrays, which a training loop's losses often are
    params = opt.ask()
    opt.tell(params, 0.5)
    opt.tell(params, 3)
    opt.tell(params, np.float32(0.5))
    opt.tell(params, np.int64(3))
    opt.tell(params, np.mean(np.array([0.1, 0.2]), dtype=np.float64))
    opt.tell(opt.ask(2), np.array([0.1, 0.2]))
    opt.tell(opt.ask(2), [np.float32(0.1), 0.2], duration=np.array([1.0, 2.0]),
             cost=np.float32(2.0))
    opt.tell(params, "0.5")  # refused
    opt.report(params, np.int64(1), np.float32(0.3))
    opt.tell(params, Fraction(1, 2))  # a Fraction is a real number (acquisition.checks.is_real)
    opt.report(params, Fraction(2), Fraction(1, 3))
    constrained = Optimizer(space, n_constraints=1)
    constrained.tell(params, 0.3, constraints=np.array([-0.2]))
    constrained.tell(opt.ask(2), [0.3, 0.4], constraints=[np.array([-0.2]), np.array([0.1])])
    constrained.tell(params, 0.3, constraints=["-0.2"])  # refused

    # minimize: every objective form the README shows, with numpy numbers too
    def loss(p: dict[str, Any]) -> float:
        return float(p["lr"])

    def loss_np(p: dict[str, Any]) -> np.float32:
        return np.float32(p["lr"])

    def with_constraints(p: dict[str, Any]) -> tuple[float, list[float]]:
        return 1.0, [p["lr"] - 0.01]

    def with_array(p: dict[str, Any]) -> tuple[np.float64, npt.NDArray[np.float64]]:
        return np.float64(1.0), np.zeros(1)

    def hyperopt_style(p: dict[str, Any]) -> dict[str, Any]:
        return {"loss": 1.0, "status": "ok"}

    def callback(observation: Observation, optimizer: Optimizer) -> bool:
        return observation.value is not None and observation.value < 0.1

    result = minimize(loss, space, n_calls=10, seed=0, callback=callback)
    reveal_type(result.best_params)  # reveals: dict[str, Any] | None
    minimize(lambda p: p["lr"], space, n_calls=10)
    minimize(loss_np, space, n_calls=10, x0=[{"lr": 0.01, "layers": 2, "act": 1}],
             y0=[np.float32(0.3)])
    minimize(with_constraints, space, n_constraints=1)
    minimize(with_array, space, n_constraints=1)
    minimize(hyperopt_style, space)  # refused
    # a standard problem runs as it is (README, "Many runs"): a params dict gives a float
    branin = Branin()
    minimize(branin, branin.space, n_calls=10, seed=0)
    reveal_type(branin({"x1": 0.0, "x2": 0.0}))  # reveals: float
    reveal_type(branin.evaluate_true({"x1": 0.0, "x2": 0.0}))  # reveals: float
    minimize(loss, space, acquisition="ucb", ucb_beta=2.0, n_initial=5, maximize=False)
    settings: dict[str, Any] = {"acquisition": "ei", "n_initial": 4}
    minimize(loss, space, n_calls=20, **settings)
    minimize(loss, space, accquisition="ucb")  # refused
    minimize(loss, space, n_initial="5")  # refused
    minimize(loss, space, max_evals=50)  # refused
    same = OptimizeResult.from_json(result.to_json())

    # input constraints: a callable (a numpy comparison's bool too), LinearConstraints, lists
    def small(p: dict[str, Any]) -> np.bool_:
        return np.float64(p["lr"]) < 0.05

    linear = [LinearConstraint({"layers": 1}, "<=", 6), LinearConstraint({"layers": 1}, ">=", 2)]
    Optimizer(space, feasible=linear)
    Optimizer(space, feasible=(small, linear[0]))
    Optimizer(space, feasible=[LinearConstraint({"layers": 1}, "<=", 6), lambda p: p["lr"] > 1e-4])
    Optimizer.resume("run.jsonl", feasible=small)
    Optimizer(space, feasible="layers <= 6")  # refused

    # string options with a fixed set of values (bayesopt.choices): a typo is a type error;
    # a str read from a config file passes once cast (the run-time check stays)
    from typing import cast
    from bayesopt import ModelOptions
    from bayesopt.choices import AcquisitionName, KernelName
    Optimizer(space, acquisition="ucb", kernel="matern32")
    Optimizer(space, acquisition="logie")  # refused
    Optimizer(space, kernel="matern-52")  # refused
    minimize(loss, space, acquisition="lgei")  # refused
    minimize(loss, space, kernel="rbf")
    ModelOptions(kernel="rbf", fantasy="liar", incumbent="observed", hyperparameters="mcmc",
                 output_transform="none", categorical_kernel="hamming", integer_kernel="round")
    ModelOptions(fantasy="lier")  # refused
    ModelOptions(kernel_candidates=("rbf", "matern32"))
    ModelOptions(kernel_candidates=("rbf", "gauss"))  # refused
    from_config: str = "ei"
    Optimizer(space, acquisition=from_config)  # refused
    Optimizer(space, acquisition=cast(AcquisitionName, from_config))
    reveal_type(ModelOptions().kernel)  # reveals: Literal['matern52'] | Literal['matern32'] | Literal['matern12'] | Literal['exponential'] | Literal['rbf']
    kernel_name: KernelName = "rbf"
    Optimizer(space, kernel=kernel_name)

    # bounds: numpy scalars too; the attributes read float and int
    reveal_type(Real(np.float32(0.1), 1).low)  # reveals: float
    reveal_type(Integer(np.int64(1), 8).high)  # reveals: int
    Real(np.float64(0.0), np.float32(1.0), log=False, name="x")
    Integer(np.int32(1), np.int64(8), log=True, when={"model": "svm"})
    Real("0.1", 1)  # refused
    Integer(np.float64(1.0), 8)  # refused

    # choices: a list, tuple or range; a str is one value, not a list of them
    Categorical("abc")  # refused
    Categorical(("a", "b"))
    Categorical(range(4))
    activations = ["relu", "tanh"]
    Categorical(activations, name="act")
    reveal_type(Categorical(["a", "b"]).choices)  # reveals: typing.Sequence[typing.Hashable] | typing.Mapping[typing.Hashable, typing.Mapping[str, bayesopt.space.Dimension] | None]

    # the Optuna sampler's options: Optimizer's, less those it sets or refuses
    from bayesopt.integrations.optuna import BayesoptSampler
    BayesoptSampler(seed=0, n_initial=8, acquisition="ucb", ucb_beta=2.0)
    BayesoptSampler(n_startup_trials=8)  # refused
    BayesoptSampler(maximize=True)  # refused

    # the public names as a checker sees them: each one its own type, a misspelt one an error
    import bayesopt
    from bayesopt import Optimiser  # refused
    bayesopt.minimise(loss, space)  # refused
    reveal_type(bayesopt.Optimizer(space))  # reveals: bayesopt.optimizer.Optimizer
    reveal_type(bayesopt.__version__)  # reveals: str
''') + f"from bayesopt import {', '.join(n for n in bayesopt.__all__ if n != '__version__')}\n"

MARKER = re.compile(r"#\s*(refused|reveals:\s*(?P<type>.+))\s*$")


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The user module and mypy's report on it."""
    where = tmp_path_factory.mktemp("typing")
    config = where / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {ROOT}\nfollow_imports = silent\n"
                      # the host libraries' own types are not under test: skipped, for speed
                      "[mypy-optuna.*,sklearn.*,matplotlib.*,pandas.*,distributed.*,dask.*]\n"
                      "follow_imports = skip\nignore_missing_imports = True\n")
    user = where / "user_code.py"
    user.write_text(USER_CODE)
    stdout, stderr, _ = api.run(["--strict", "--config-file", str(config), "--cache-dir",
                                 str(where / "cache"), "--no-error-summary",
                                 "--show-error-codes", str(user), *map(str, EXAMPLES)])
    assert not stderr, stderr
    return user, stdout


def _report_by_line(user: Path, stdout: str) -> dict[int, list[str]]:
    """mypy's messages about the user module, by line number."""
    lines: dict[int, list[str]] = {}
    for message in stdout.splitlines():
        _, _, rest = message.partition(f"{user.name}:")
        if not rest:
            continue
        number, _, text = rest.partition(":")
        lines.setdefault(int(number), []).append(text.strip())
    return lines


def test_readme_code_passes_and_refused_code_is_reported(checked: tuple[Path, str]) -> None:
    user, stdout = checked
    report = _report_by_line(user, stdout)
    problems = []
    for number, line in enumerate(USER_CODE.splitlines(), start=1):
        errors = [m for m in report.get(number, []) if m.startswith("error:")]
        notes = [m for m in report.get(number, []) if m.startswith("note: Revealed type is")]
        marker = MARKER.search(line)
        if marker is None or marker["type"] is not None:
            if errors:
                problems.append(f"line {number} {line.strip()!r}: unexpected {errors}")
        else:
            if not errors:
                problems.append(f"line {number} {line.strip()!r}: no error reported")
        if marker is not None and marker["type"] is not None:
            wanted = f'note: Revealed type is "{marker["type"].strip()}"'
            if notes != [wanted]:
                problems.append(f"line {number}: revealed {notes}, wanted [{wanted!r}]")
    assert not problems, "\n".join(problems) + "\n--- mypy said:\n" + stdout


def test_the_examples_pass_mypy_strict(checked: tuple[Path, str]) -> None:
    """Each example reads an Observation's `value` (float | None: None for a failed
    evaluation) the way a type-checked user must, after a check that it is a number."""
    _, stdout = checked
    assert len(EXAMPLES) >= 5, EXAMPLES
    errors = [line for line in stdout.splitlines()  # a path under the cwd is printed relative
              if Path(line.partition(":")[0]).resolve() in EXAMPLES and ": error:" in line]
    assert not errors, "\n".join(errors)


def _typed_dict_keys(source: Path, name: str) -> set[str]:
    """The keys of the class `name` in `source` (a TypedDict under TYPE_CHECKING, which the
    running test cannot import)."""
    tree = ast.parse(source.read_text())
    typed = next(node for node in ast.walk(tree)
                 if isinstance(node, ast.ClassDef) and node.name == name)
    return {item.target.id for item in typed.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)}


def test_minimize_types_every_optimizer_keyword_it_passes_on() -> None:
    """`minimize`'s ``**optimizer_options`` TypedDict (defined for type checkers only, so
    read from the source) names exactly `Optimizer`'s keywords that minimize lacks."""
    names = _typed_dict_keys(ROOT / "bayesopt" / "loop.py", "_OptimizerKeywords")
    assert names == set(keyword_only(Optimizer.__init__)) - set(keyword_only(minimize))


def test_the_sampler_types_every_optimizer_keyword_it_passes_on() -> None:
    """`BayesoptSampler`'s ``**optimizer_kwargs`` TypedDict (for type checkers only, so read
    from the source) names exactly the `Optimizer` keywords it neither sets nor refuses."""
    from bayesopt.integrations import optuna

    names = _typed_dict_keys(ROOT / "bayesopt" / "integrations" / "optuna.py", "_SamplerKeywords")
    passed_on = (set(keyword_only(Optimizer.__init__)) - {"seed"} - set(optuna._UNSUPPORTED)
                 - set(optuna._RESERVED))
    assert names == passed_on


def test_each_choice_type_lists_exactly_the_values_its_check_accepts() -> None:
    """`bayesopt.choices`: each Literal names exactly the values the run-time check of its
    option accepts, so a value the checker passes never raises and the reverse; a plain str
    is still accepted at run time (and a wrong one named)."""
    from typing import get_args

    from bayesopt import ModelOptions, Real, choices
    from bayesopt.categorical import CATEGORICAL_KERNELS
    from bayesopt.model import (
        FANTASIES,
        FIDELITY_KERNELS,
        FIDELITY_MODELS,
        HYPERPARAMETERS,
        INCUMBENTS,
    )
    from bayesopt.priors import LENGTHSCALE_PRIORS, NOISE_PRIORS, VARIANCE_PRIORS
    from bayesopt.rounding import INTEGER_KERNELS
    from bayesopt.settings import ACQUISITIONS
    from kernels import KERNEL_KINDS

    expected = {
        choices.AcquisitionName: ACQUISITIONS, choices.KernelName: KERNEL_KINDS,
        choices.FantasyName: FANTASIES, choices.LengthscalePriorName: LENGTHSCALE_PRIORS,
        choices.NoisePriorName: NOISE_PRIORS, choices.VariancePriorName: VARIANCE_PRIORS,
        choices.IncumbentName: INCUMBENTS,
        choices.HyperparameterFitName: HYPERPARAMETERS,
        choices.FidelityModelName: FIDELITY_MODELS, choices.FidelityKernelName: FIDELITY_KERNELS,
        choices.IntegerKernelName: INTEGER_KERNELS,
        choices.CategoricalKernelName: CATEGORICAL_KERNELS,
    }
    for alias, accepted in expected.items():
        assert list(get_args(alias)) == list(accepted), alias
    for value in get_args(choices.OutputTransformName):
        assert ModelOptions(output_transform=value).output_transform == value
    with pytest.raises(ValueError, match="output_transform='box-cox'"):
        ModelOptions(output_transform="box-cox")  # type: ignore[arg-type]
    read_from_a_file = json.loads('{"acquisition": "ucb"}')["acquisition"]  # a plain str
    space = {"x": Real(0, 1)}
    assert Optimizer(space, acquisition=read_from_a_file).acquisition == "ucb"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="acquisition='logie'"):
        Optimizer(space, acquisition="logie")  # type: ignore[arg-type]
