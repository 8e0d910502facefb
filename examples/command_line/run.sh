#!/bin/sh
# Tune train.py from the command line: 16 evaluations, 2 running at a time.
# Ctrl-C stops cleanly; running this script again resumes from tune.jsonl
# (raise --n-calls to go further).
set -e
cd "$(dirname "$0")"

bayesopt run --space space.toml --n-calls 16 --workers 2 --timeout 60 --seed 0 \
    --journal tune.jsonl --no-progress \
    -- python train.py --lr {lr} --l2 {l2} --epochs {epochs} --optimizer {optimizer}

bayesopt show tune.jsonl --top 5
bayesopt plot tune.jsonl -o convergence.png
