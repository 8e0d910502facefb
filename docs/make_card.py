"""docs/baseline-card.md from `bayesopt.baseline_card()` (tests/test_card.py checks they agree).

    python docs/make_card.py
"""

from __future__ import annotations

from pathlib import Path

from bayesopt import baseline_card
from bayesopt.card import card_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "baseline-card.md"
    target.write_text(card_markdown(baseline_card()), encoding="utf-8")
