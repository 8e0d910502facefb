"""Arrays grown row by row in amortized linear time.

    buffers : {name: (buffer, view)}  per array, a buffer with spare rows and the
              view of its filled part last handed out
    current : (n, ...)  the array as it stands; rows: (k, ...) to add

`appended(buffers, name, current, rows)` equals ``np.concatenate([current, rows])``
value for value, dtype and shape; the buffer's capacity doubles when full, so n rows
added one at a time cost O(n) copies, not the O(n²) of concatenating at every step
(the textbook dynamic array: Cormen et al., *Introduction to Algorithms*, 3rd ed.,
§17.4). The owner of `buffers` (`bayesopt.state.OptimizerState`,
`bayesopt.outcomes.OutcomeModels`) leaves it out of a pickle or a deep copy, whose
arrays are then plain ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["appended"]


def appended(buffers: dict[str, tuple[np.ndarray, np.ndarray]], name: str,
             current: np.ndarray, rows: Any) -> np.ndarray:
    """``np.concatenate([current, rows])``, value for value, in amortized time linear in
    the rows added: the result is a view of the filled part of a buffer kept in
    ``buffers[name]`` with the last view handed out, whose capacity doubles when full.
    `current` is appended to in place only when it is that last view (a deep copy, a
    pickle or a shallow copy that appended since holds another array); any other array
    starts a new buffer, as does a change of dtype. The rows a view shows never change
    later (appends write past them, a doubling copies them to a new buffer), so a view
    read earlier stays what it was."""
    rows = np.asarray(rows)
    dtype = np.result_type(current, rows)
    n, k = current.shape[0], rows.shape[0]
    held = buffers.get(name)
    if held is None or held[1] is not current or held[0].dtype != dtype:
        buffer = np.empty((max(2 * (n + k), 16), *current.shape[1:]), dtype=dtype)
        buffer[:n] = current
    elif held[0].shape[0] < n + k:
        buffer = np.empty((2 * (n + k), *current.shape[1:]), dtype=dtype)
        buffer[:n] = held[0][:n]
    else:
        buffer = held[0]
    buffer[n:n + k] = rows
    view = buffer[:n + k]
    buffers[name] = (buffer, view)
    return view
