"""The marks a person gives events in the viewer: review/event_marks.csv (layout.EVENT_MARKS),
one row per reviewed event, the last mark of each kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import write_csv
from ..layout import EVENT_MARKS

COLUMNS = ("event_id", "roi_id", "peak_frame", "mark")
# what names an event: its id, ROI and peak frame (a rerun of the events stage renumbers)
KEY = ["event_id", "roi_id", "peak_frame"]


def marks_path(results: str | Path) -> Path:
    return Path(results) / EVENT_MARKS.path


def read_marks(results: str | Path) -> pd.DataFrame:
    """The marks of a results folder (an empty table where none were given)."""
    path = marks_path(results)
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "mark" else int) for c in COLUMNS})
    marks = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in marks.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {COLUMNS}")
    if not marks["mark"].isin([True, False]).all():
        raise InputError(f"{path}: column mark holds other values than true and false")
    return marks[list(COLUMNS)].astype({"mark": bool})


def set_mark(marks: pd.DataFrame, event: pd.Series, mark: bool) -> pd.DataFrame:
    """``marks`` with ``event`` (a row of events.csv) marked true (a real event) or false."""
    row = pd.DataFrame(
        [{"event_id": int(event.event_id), "roi_id": int(event.roi_id),
          "peak_frame": int(event.peak_frame), "mark": bool(mark)}]
    )  # fmt: skip
    kept = marks[marks.event_id != int(event.event_id)]
    return pd.concat([kept, row] if len(kept) else [row]).sort_values("event_id", kind="stable")


def write_marks(results: str | Path, marks: pd.DataFrame) -> Path:
    """Write the marks (atomically: a crash leaves the previous table)."""
    path = marks_path(results)
    path.parent.mkdir(exist_ok=True)
    out = marks[list(COLUMNS)].copy()
    out["mark"] = out["mark"].map({True: "true", False: "false"})
    write_csv(path, out.reset_index(drop=True))
    return path


def event_marks(results: str | Path, events: pd.DataFrame) -> pd.Series:
    """The mark of each row of ``events`` (events.csv): true, false, or <NA> where not
    reviewed; a mark whose event id, ROI and peak frame match no event (the events stage
    was rerun since) is ignored."""
    merged = events[KEY].merge(read_marks(results), on=KEY, how="left")
    return merged["mark"].astype("boolean").set_axis(events.index)


def review_summary(marks: pd.Series) -> dict:
    """compare's review columns from :func:`event_marks`: how many of the recording's
    events were reviewed and marked false, and the share of reviewed events marked true
    (NaN where none)."""
    reviewed = marks.dropna().astype(bool)
    n = len(reviewed)
    return {
        "n_events_reviewed": n,
        "n_events_marked_false": int((~reviewed).sum()),
        "reviewed_precision": float(reviewed.mean()) if n else float("nan"),
    }
