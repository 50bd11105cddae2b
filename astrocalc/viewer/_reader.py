"""napari's reader hook: a folder with motion/stage.json is an astrocalc results folder."""

from __future__ import annotations

from ._results import Results


def get_reader(path):
    if isinstance(path, list):
        path = path[0] if len(path) == 1 else None
    if path is None or not Results.is_results(path):
        return None
    return lambda p: Results.read(p[0] if isinstance(p, list) else p).layers()
