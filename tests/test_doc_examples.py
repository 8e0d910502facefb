"""Every ```python block of README.md and docs/*.md runs as shown, or is listed with why not.

    DOCS       : README.md and every docs/*.md (tests/doc_blocks.py)
    block      : one ```python fence of a doc; key(block) = "<doc>: <its first line>" (the
                 line's trailing comment dropped, spaces collapsed), with " #k" for the k-th
                 block (k ≥ 2) of the doc whose first line is the same
    SETUP      : key → the smallest code supplying the names a user brings (a toy objective,
                 a one-epoch stand-in, what an earlier block of the same section defined),
                 prepended to the block; "" for a self-contained block
    SHORTER    : a setup's only way to shorten a budget: it caps the `n_calls` of `minimize`
                 and the total of `Optimizer.ask_within` at CAP by monkeypatching them in the
                 block's process; the block's own text is never edited
    NOT_RUN    : key → why the block cannot run here (a server it connects to, or a budget
                 too long that no setup can shorten)
    run(block) : setup + block as a script under `python -W error` (ResourceWarning left
                 ignored, as pytest's configuration does), in a process of its own forked
                 from a runner that has imported bayesopt, with its working directory,
                 TMPDIR, MPLCONFIGDIR and output files in a directory of tmp_path's; passes
                 when it exits 0

Every block is in exactly one of SETUP and NOT_RUN, so a new block must be classified, and
every key of either names a block, so a renamed or removed block leaves no stale entry.
WORKERS runners share the selected blocks, all run before the first check: the import,
paid once per runner instead of once per block, was over half of the blocks' CPU time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple, cast

import pytest

from tests.doc_blocks import DOCS, ROOT, python_blocks

COMMENT = re.compile(r"\s+#.*$")  # a trailing comment, after code
WORKERS = min(2, os.cpu_count() or 1)
DEADLINE = 600  # seconds for every block; they take under a minute on 2 shared cores
CAP = 24


class Block(NamedTuple):
    key: str
    line: int  # of its opening fence
    code: str


def blocks(doc: Path) -> list[Block]:
    text = doc.read_text(encoding="utf-8")
    found: list[Block] = []
    for start, code in python_blocks(text):
        first = " ".join(COMMENT.sub("", code.splitlines()[0]).split())
        key = f"{doc.name}: {first}"
        repeat = sum(block.key.split(" #")[0] == key for block in found)
        found.append(Block(key if repeat == 0 else f"{key} #{repeat + 1}",
                           text.count("\n", 0, start) + 1, code))
    return found


BLOCKS = [block for doc in DOCS for block in blocks(doc)]

# --- what a user brings -------------------------------------------------------------------

SPACE = '''
from bayesopt import Categorical, Integer, Optimizer, Real
space = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8),
         "activation": Categorical(["relu", "tanh", "gelu"])}
'''
TRAIN = '''
import math
def train(lr, layers, activation):              # a toy objective of the README's space
    return (math.log10(lr) + 3) ** 2 + 0.1 * (layers - 4) ** 2 + (activation == "tanh")
'''
FAILING = TRAIN + '''
_train = train
def train(lr, layers, activation):              # the same, failing at 8 layers
    if layers == 8:
        raise RuntimeError("out of memory")
    return _train(lr, layers, activation)
'''
FITTED = SPACE + TRAIN + '''
opt = Optimizer(space, seed=0)                  # past n_initial successes: a surrogate
for _ in range(opt.n_initial + 2):
    params = opt.ask()
    opt.tell(params, train(**params))
'''
RESULT = SPACE + TRAIN + '''
from bayesopt import minimize
result = minimize(lambda p: train(**p), space, n_calls=6, seed=0, progress=False)
'''
STUDY = '''
import math
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
def objective(trial):                           # COMPLETE, PRUNED and FAIL trials, curves
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    if trial.number == 3:
        raise RuntimeError("crashed before suggesting the rest")
    layers = trial.suggest_int("layers", 1, 8)
    trial.suggest_categorical("batch", [16, 32, 64])
    for step in (1, 2, 3):
        trial.report((math.log10(lr) + 3) ** 2 + layers / 10 + 1 / step, step)
    if trial.number == 5:
        raise optuna.TrialPruned()
    if trial.number == 6:
        raise RuntimeError("diverged")
    return (math.log10(lr) + 3) ** 2 + layers / 10
study.optimize(objective, n_trials=10, catch=(RuntimeError,))
'''
EPOCH = '''
import numpy as np
_losses = np.random.default_rng(0)
def train_one_epoch(model=None):                # one epoch's validation loss
    return float(_losses.random())
'''
SHORTER = f'''
import bayesopt
_minimize, _ask_within = bayesopt.minimize, bayesopt.Optimizer.ask_within
def _shorter_minimize(*args, n_calls, **kwargs):
    return _minimize(*args, n_calls=min(n_calls, {CAP}), **kwargs)
def _shorter_ask_within(self, total):
    return _ask_within(self, min(total, {CAP}))
bayesopt.minimize, bayesopt.Optimizer.ask_within = _shorter_minimize, _shorter_ask_within
'''
TUNE = SHORTER + '''
import math
def train(params):                              # the shared study's objective
    return (math.log10(params["lr"]) + 2.5) ** 2 + 0.1 * (params["layers"] - 3) ** 2
'''

SETUP: dict[str, str] = {
    # README.md
    "README.md: from bayesopt import Optimizer, Real, Integer, Categorical": FAILING,
    "README.md: from bayesopt import minimize": SPACE + TRAIN,
    "README.md: from bayesopt import OptimizeResult": RESULT,
    "README.md: import optuna": STUDY,
    "README.md: from bayesopt import SuccessiveHalving": STUDY + '''
from bayesopt import Categorical, Integer, Optimizer, Real
space = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8),
         "batch": Categorical([16, 32, 64])}
State = optuna.trial.TrialState
''',
    "README.md: from bayesopt import Categorical, Integer, Optimizer, Real": "",
    'README.md: space = {"model": Categorical({': "from bayesopt import Categorical, Integer, Real",
    "README.md: s = opt.surrogate()": FITTED,
    "README.md: import numpy as np": FITTED,
    "README.md: # train.py": SHORTER + "validation_loss = 0.25  # what `...` computes\n",
    "README.md: from bayesopt import Optimizer, Real": "",
    "README.md: from bayesopt import LinearConstraint, Optimizer, Real": "",
    "README.md: # tune.py": TUNE + 'import sys\nsys.argv = ["tune.py", "0"]\n',
    'README.md: with Optimizer(space, storage="sqlite:///tune.db", study="resnet", seed=task_id) as opt:':
        TUNE + '''
from bayesopt import Integer, Optimizer, Real
space = {"lr": Real(1e-4, 1e-1, log=True), "layers": Integer(1, 8)}
task_id = 0
''',
    "README.md: from bayesopt import Optimizer, Real, Integer, Fidelity": EPOCH + '''
checkpoints = []                                # by history index: the order of the tells
def new_model(params):
    return {"params": params}
def load_checkpoint(source):
    return checkpoints[source]
def train(model, epochs):
    checkpoints.append(model)
    return train_one_epoch() / epochs
''',
    'README.md: opt = Optimizer({"lr": Real(1e-4, 1e-1, log=True), "width": Integer(16, 512, log=True)},':
        EPOCH + "from bayesopt import Integer, Optimizer, Real",
    "README.md: from bayesopt import minimize #2": EPOCH + SHORTER + '''
from bayesopt import Fidelity, Integer, Real
space = {"lr": Real(1e-4, 1e-1, log=True), "width": Integer(16, 512, log=True),
         "epochs": Fidelity(1, 9)}               # reaches its top budget within CAP runs
checkpoints = {}                                # by run id
def new_model(params):
    return {"params": params}
def load_checkpoint(run):
    return checkpoints[run]
def save_checkpoint(run, model, epoch):
    checkpoints[run] = (model, epoch)
''',
    "README.md: import optuna #2": "",
    # docs/choosing-defaults.md: options; `space` is the reader's
    "choosing-defaults.md: from bayesopt import CostDesignOptions, Optimizer, OptimizerOptions, Real":
        "",
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions": SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #2": SPACE,
    "choosing-defaults.md: from bayesopt import Optimizer, OptimizerOptions, TrustRegionOptions":
        SPACE,
    "choosing-defaults.md: from bayesopt import HedgeOptions, Optimizer, OptimizerOptions": SPACE,
    'choosing-defaults.md: opt = Optimizer(space, acquisition="lognei")': SPACE,
    'choosing-defaults.md: opt = Optimizer(space, acquisition="mace")': SPACE,
    'choosing-defaults.md: opt = Optimizer(space, acquisition="logaei")': SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #3": SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, Optimizer, OptimizerOptions":
        SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, Optimizer, OptimizerOptions #2":
        SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #4": SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #5": SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, Optimizer, OptimizerOptions #3":
        SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, Optimizer, OptimizerOptions #4":
        SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, FitOptions, ModelOptions, "
    "Optimizer, OptimizerOptions": SPACE,
    "choosing-defaults.md: from bayesopt import AcquisitionOptimizerOptions, FitOptions, ModelOptions, "
    "Optimizer, OptimizerOptions #2": SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #6": SPACE,
    "choosing-defaults.md: from bayesopt import ModelOptions, Optimizer, OptimizerOptions #7": SPACE,
    "choosing-defaults.md: from bayesopt import Optimizer, OptimizerOptions": SPACE,
    # docs/coming-from-grid-searches.md
    "coming-from-grid-searches.md: import numpy as np": "",
    # docs/multi-fidelity.md
    "multi-fidelity.md: from bayesopt import Optimizer, Real, Integer, Fidelity":
        "val_loss = 0.25  # the first run's, at its budget\n",
    "multi-fidelity.md: from bayesopt import Optimizer, Real, SuccessiveHalving": EPOCH,
    "multi-fidelity.md: from bayesopt import Real, SuccessiveHalving, minimize": EPOCH + SHORTER,
}

NOT_RUN: dict[str, str] = {
    "README.md: from distributed import Client":
        "connects to a Dask scheduler at tcp://scheduler:8786 (tests/test_parallel.py runs Dask)",
}

RUN = [block for block in BLOCKS if block.key in SETUP]


def test_every_block_is_run_or_listed_with_its_reason() -> None:
    keys = [block.key for block in BLOCKS]
    assert len(keys) >= 40 and len(set(keys)) == len(keys)  # the scan finds every block
    assert not set(SETUP) & set(NOT_RUN), "a block is both run and listed as not run"
    unclassified = [key for key in keys if key not in SETUP and key not in NOT_RUN]
    assert unclassified == [], f"classify these blocks in SETUP or NOT_RUN: {unclassified}"
    stale = sorted((set(SETUP) | set(NOT_RUN)) - set(keys))
    assert stale == [], f"these entries name no block: {stale}"


# A runner imports bayesopt, then runs each block directory it is given in a child forked
# for that block (where os.fork is missing, each directory gets a runner of its own and
# runs in it); it writes the block's exit status to <directory>/exit.
RUNNER = """
import os, runpy, sys, tempfile, traceback, warnings
import bayesopt

def run(directory):
    os.chdir(directory)
    os.environ["TMPDIR"] = os.environ["MPLCONFIGDIR"] = directory
    tempfile.tempdir = None
    for fd, name in ((1, "stdout"), (2, "stderr")):
        os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    sys.argv = [os.path.join(directory, "example.py")]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code

for directory in sys.argv[1:]:
    if not hasattr(os, "fork"):
        code = run(directory)
    else:
        with warnings.catch_warnings():  # Python 3.12+: fork() in a process with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            os._exit(run(directory))
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with open(os.path.join(directory, "exit"), "w") as file:
        file.write(str(code))
"""


class Outcome(NamedTuple):
    code: int | None  # None: the block did not finish
    stderr: str


def run(selected: list[Block], base: Path) -> dict[str, Outcome]:
    """Run setup + block for each of `selected` under `base`, WORKERS runners at a time."""
    directories = {block.key: base / f"block{index}" for index, block in enumerate(selected)}
    for block in selected:
        directories[block.key].mkdir()
        (directories[block.key] / "example.py").write_text(
            SETUP[block.key] + "\n" + block.code, encoding="utf-8")
    paths = [str(directories[block.key]) for block in selected]
    chunks = [paths[index::WORKERS] for index in range(WORKERS)] if hasattr(os, "fork") \
        else [[path] for path in paths]
    env = {**os.environ, "OMP_NUM_THREADS": "1",  # one thread, as tests/conftest.py
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-W", "error", "-W", "ignore::ResourceWarning", "-c", RUNNER]
    runners = [subprocess.Popen([*command, *chunk], cwd=base, env=env, start_new_session=True)
               for chunk in chunks if chunk]
    try:
        for runner in runners:
            runner.wait(timeout=DEADLINE)
    finally:
        for runner in runners:  # a runner past the deadline: end it and its forked block
            if runner.poll() is None:
                if hasattr(os, "killpg"):
                    os.killpg(runner.pid, signal.SIGKILL)
                runner.kill()
                runner.wait()
    outcomes = {}
    for key, directory in directories.items():
        exit_file, stderr = directory / "exit", directory / "stderr"
        outcomes[key] = Outcome(int(exit_file.read_text()) if exit_file.exists() else None,
                                stderr.read_text(errors="replace") if stderr.exists() else "")
    return outcomes


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         ) -> dict[str, Outcome]:
    """The outcomes of the blocks this session selected, all run before the first check."""
    selected = [cast(Block, item.callspec.params["block"]) for item in request.session.items
                if isinstance(item, pytest.Function) and item.module is request.module
                and item.originalname == "test_the_block_runs_as_shown"]
    return run(selected, tmp_path_factory.mktemp("blocks"))


@pytest.mark.parametrize("block", RUN, ids=lambda block: f"{block.key.split(':')[0]}:{block.line}")
def test_the_block_runs_as_shown(block: Block, runs: dict[str, Outcome]) -> None:
    code, stderr = runs[block.key]
    assert code == 0, f"{block.key} (line {block.line}) exited {code}:\n{stderr[-3000:]}"
