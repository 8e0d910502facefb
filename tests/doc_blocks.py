"""The documentation the tests read, and its code fences.

    DOCS              : README.md and every docs/*.md (a new page is read without edits)
    FENCE             : a ``` fence: (language, code), the code up to the closing ```
    python_blocks(t)  : the ```python (or ```py) fences of text t, each as (offset, code),
                        offset the position of its opening fence in t
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group(2)) for match in FENCE.finditer(text)
            if match.group(1) in ("python", "py")]
