"""Replaying a long study: resume and attach time and peak memory at 2,000-10,000 tells.

    python bench/large_study.py [--sizes 2000,5000,10000] [--kinds journal,jsonl,sqlite]
                                [--postgres URL] [--folder DIR] [--read]

Run as a script (not ``-m``) so that ``PYTHONPATH`` picks the library measured: the
working tree, or a checkout of another commit.

Each study is written straight through the storage API (`bayesopt.events.to_record`,
`Storage.append`), as a long shared study of four workers looks: every run is an ask,
two heartbeats and three reports (steps 1-3), then a tell (85 %), a failure (6 %), a
cancel by its own worker (3 %), a cancel by another worker followed later by its own
late tell (3 %), or nothing (a dead worker, 3 %: it times out under
pending_timeout=600). A journal ("journal") also carries, on every event but heartbeats
and reports, the checkpoint a real optimizer writes (generator state, design position,
surrogate record; taken from a small real run), so its lines are as long as a real
journal's. Seven to eight events per tell.

Then, each in a fresh process: `Optimizer.resume(path, append=False)` of the journal, or
a new worker attaching to the study (`Optimizer(space, storage=..., study=...)`), which
replays every event. Reported: CPU seconds of that call (the machine is shared, so wall
time is not), and the increase of the resident set's high-water mark over it (VmHWM,
reset through /proc/self/clear_refs just before; Linux), with the study's size on disk
for a file; and what the replay rebuilt (observations by status, best, timed-out points),
which must be equal across storages.

With ``--read``, the storage alone instead: open it and read every event in the pages a
replay reads them in (`bayesopt.study.read_pages`), parsed and dropped, nothing applied;
the same CPU seconds and peak increase, so that the reader's own memory is seen apart
from the optimizer's state.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt.space import Space

WORKERS = 4
STEPS = 3  # reports per run


def space() -> dict[str, Any]:
    from bayesopt import Categorical, Integer, Real

    return {"x0": Real(-5, 10), "x1": Real(0, 15), "lr": Real(1e-5, 1e-1, log=True),
            "layers": Integer(1, 8), "act": Categorical(["relu", "tanh", "gelu"])}


def objective(p: dict[str, Any]) -> float:
    """Branin in (x0, x1), plus terms in the other three dimensions."""
    x0, x1 = p["x0"], p["x1"]
    branin = ((x1 - 5.1 / (4 * np.pi ** 2) * x0 ** 2 + 5 / np.pi * x0 - 6) ** 2
              + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x0) + 10)
    return float(branin + 0.1 * np.log10(p["lr"]) ** 2 + 0.05 * p["layers"]
                 + (0.3 if p["act"] == "tanh" else 0.0))


def _checkpoint() -> Any:
    """The checkpoint of a real optimizer after a fitted tell (what a journal's events carry)."""
    from bayesopt import Optimizer

    opt = Optimizer(space(), seed=0)
    rng = np.random.default_rng(0)
    points = [_random_point(opt.space, rng) for _ in range(30)]
    opt.tell(points, [objective(p) for p in points])
    return opt._state.checkpoint(opt._state.rng, opt._state.design_used)


def _random_point(sp: Space, rng: np.random.Generator) -> dict[str, Any]:
    return sp.validate({"x0": float(rng.uniform(-5, 10)), "x1": float(rng.uniform(0, 15)),
                        "lr": float(10 ** rng.uniform(-5, -1)), "layers": int(rng.integers(1, 9)),
                        "act": ["relu", "tanh", "gelu"][rng.integers(3)]})


def events(sp: Space, n_tells: int, checkpoint: Any, seed: int = 0) -> list[Any]:
    """The study's events (module docstring); `checkpoint` on asks, tells, failures, cancels."""
    from bayesopt.events import Ask, Cancel, Failure, Heartbeat, Report, Tell

    rng = np.random.default_rng(seed)
    workers = [f"w{i}" for i in range(WORKERS)]
    out: list[Any] = []
    running: dict[str, list[Any]] = {}  # worker -> [params, claim, plan, stage]
    late: list[tuple[str, dict[str, Any], int]] = []
    t, claim, told = 1.7e9, 0, 0
    while told < n_tells:
        w = workers[rng.integers(WORKERS)]
        t += float(rng.uniform(0.5, 5))
        if w not in running:
            u = rng.uniform()
            plan = ("tell" if u < .85 else "failure" if u < .91 else "cancel" if u < .94
                    else "cancel_other" if u < .97 else "dead")
            p = _random_point(sp, rng)
            out.append(Ask(points=(p,), pending_timeout=600.0, checkpoint=checkpoint, time=t, worker=w))
            running[w] = [p, claim, plan, 0]
            claim += 1
            continue
        p, c, plan, stage = running[w]
        if stage < 2 * STEPS - 1:
            if stage % 2 == 0:
                out.append(Heartbeat(points=(p,), claims=(c,), time=t, worker=w))
            else:
                step = float((stage + 1) // 2)
                out.append(Report(points=(p,), steps=(step,), values=(objective(p) + 1 / step,),
                                  claims=(c,), time=t, worker=w))
            running[w][3] += 1
            continue
        del running[w]
        if plan == "tell":
            out.append(Tell(points=(p,), values=(objective(p),), durations=(12.5,), claims=(c,),
                            checkpoint=checkpoint, time=t, worker=w))
            told += 1
        elif plan == "failure":
            out.append(Failure(points=(p,), errors=("CUDA out of memory",), durations=(3.0,),
                               claims=(c,), checkpoint=checkpoint, time=t, worker=w))
            told += 1
        elif plan == "cancel":
            out.append(Cancel(points=(p,), checkpoint=checkpoint, time=t, worker=w))
        elif plan == "cancel_other":
            other = workers[(workers.index(w) + 1) % WORKERS]
            out.append(Cancel(points=(p,), time=t, worker=other, checkpoint=checkpoint))
            late.append((w, p, c))
        if late and rng.uniform() < 0.5:
            lw, lp, lc = late.pop(0)
            t += 1.0
            out.append(Tell(points=(lp,), values=(objective(lp),), claims=(lc,), time=t,
                            worker=lw, checkpoint=checkpoint))
            told += 1
    return out


def write(kind: str, where: str, study: str, n_tells: int) -> None:
    """Write the study of `n_tells` tells at `where` (a file, or a PostgreSQL URL)."""
    from bayesopt import Optimizer
    from bayesopt.events import to_record
    from bayesopt.storage import open_storage

    url = f"sqlite:///{where}" if kind == "sqlite" else where
    journal = kind == "journal"
    opt = (Optimizer(space(), journal=where, seed=0, pending_timeout=600) if journal else
           Optimizer(space(), storage=url, study=study, seed=0, pending_timeout=600))
    sp = opt.space
    opt.close()
    records = [to_record(e, sp, journal) for e in events(sp, n_tells, _checkpoint())]
    storage = open_storage(url)
    try:
        for i in range(0, len(records), 5000):
            storage.append("journal" if journal else study, records[i:i + 5000])
    finally:
        storage.close()


def _exists(kind: str, where: str, study: str) -> bool:
    """Whether the study was written before (a file, or the study in the database)."""
    if kind != "postgresql":
        return Path(where).exists()
    from bayesopt.storage import open_storage

    storage = open_storage(where)
    try:
        return study in storage.studies()
    finally:
        storage.close()


def _status(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status (Linux only)")


def replay(kind: str, where: str, study: str) -> dict[str, Any]:
    """Resume or attach once (module docstring); its CPU time, peak increase and result."""
    import warnings

    import scipy.stats  # noqa: F401 - imported before the measured call, as a worker has it

    from bayesopt import Optimizer

    warnings.simplefilter("ignore")
    url = f"sqlite:///{where}" if kind == "sqlite" else where
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    cpu = time.process_time()
    if kind == "journal":
        opt = Optimizer.resume(where, append=False)
    else:
        opt = Optimizer(space(), storage=url, study=study, pending_timeout=600)
    history = opt.history
    seconds = time.process_time() - cpu
    peak = _status("VmHWM") - before
    counts: dict[str, int] = {}
    for o in history:
        counts[o.status] = counts.get(o.status, 0) + 1
    best = opt.best
    status = opt.pending_status(now=0.0)  # by the events' own times
    return {"cpu_s": round(seconds, 2), "peak_MB": round(peak, 1),
            "rss_after_MB": round(_status("VmRSS") - before, 1), "n": len(history),
            "counts": counts, "best": None if best is None else [best.index, best.value],
            "timed_out": len(status.timed_out), "events": opt._state.n_applied}


def read(kind: str, where: str, study: str) -> dict[str, Any]:
    """Read every event of the study through its storage, a page at a time (`--read`)."""
    from bayesopt.storage import open_storage
    from bayesopt.study import read_pages

    url = f"sqlite:///{where}" if kind == "sqlite" else where
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    cpu = time.process_time()
    storage = open_storage(url)
    name = "journal" if kind == "journal" else study
    events = sum(len(page) for page in read_pages(storage, name, name))
    storage.close()
    seconds = time.process_time() - cpu
    return {"cpu_s": round(seconds, 2), "peak_MB": round(_status("VmHWM") - before, 1),
            "events": events}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,5000,10000")
    parser.add_argument("--kinds", default="journal,jsonl,sqlite")
    parser.add_argument("--postgres", default=None, help="URL of a database to add PostgreSQL")
    parser.add_argument("--folder", default="/tmp/large_study")
    parser.add_argument("--write-only", action="store_true")
    parser.add_argument("--read", action="store_true", help="read the storage only (docstring)")
    parser.add_argument("--one", nargs=3, metavar=("KIND", "WHERE", "STUDY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps((read if args.read else replay)(*args.one)))
        return
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [k for k in args.kinds.split(",") if k] + (["postgresql"] if args.postgres else [])
    print("| tells | storage | events | file MB | resume/attach CPU s | peak increase MB "
          "| peak / file | ok / pruned / failed | timed out | best |")
    print("|---:|---|---:|---:|---:|---:|---:|---|---:|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in kinds:
            study = f"large{n}"
            where = (args.postgres if kind == "postgresql" else
                     str(folder / f"{kind}{n}.{'db' if kind == 'sqlite' else 'jsonl'}"))
            if not _exists(kind, where, study):
                write(kind, where, study, n)
            if args.write_only:
                continue
            done = subprocess.run([sys.executable, __file__, "--one", kind, where, study,
                                   *(["--read"] if args.read else [])],
                                  capture_output=True, text=True, check=True,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
            row = json.loads(done.stdout)
            size = Path(where).stat().st_size / 2 ** 20 if kind != "postgresql" else None
            if args.read:
                ratio = "" if size is None else f"{row['peak_MB'] / size:.1f}"
                print(f"| {n} | {kind} | {row['events']} | {'' if size is None else f'{size:.1f}'}"
                      f" | {row['cpu_s']} | {row['peak_MB']} | {ratio} | | | |", flush=True)
                continue
            c = row["counts"]
            ratio = "" if size is None else f"{row['peak_MB'] / size:.1f}"
            print(f"| {row['n']} | {kind} | {row['events']} | "
                  f"{'' if size is None else f'{size:.1f}'} | {row['cpu_s']} | "
                  f"{row['peak_MB']} | {ratio} | {c.get('ok', 0)} / {c.get('pruned', 0)} / "
                  f"{c.get('failed', 0)} | {row['timed_out']} | "
                  f"{row['best'][0]}: {row['best'][1]:.6g} |", flush=True)


if __name__ == "__main__":
    main()
