#!/bin/sh
# Tune train.py with Hyperband's budgets and early stopping: each run saves its
# checkpoint as ckpt/<its id>, a promotion resumes from ckpt/<the id it continues>,
# and a run whose reported loss is poor at a rung is stopped there.
set -e
cd "$(dirname "$0")"

bayesopt run --space space.toml --n-calls 60 --seed 0 --journal tune.jsonl --no-progress \
    -- python train.py --lr={lr} --l2={l2} --epochs={epochs} \
       --resume-from=ckpt/{bayesopt.continues} --save=ckpt/{bayesopt.run}

bayesopt show tune.jsonl --top 5
