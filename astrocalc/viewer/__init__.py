"""napari-astrocalc: a results folder in napari (extra 'napari': pip install 'astrocalc[napari]').

File > Open Folder on a recording's results folder (or ``napari results/young_1``) shows
the corrected movie, the ROIs by compartment, and the ROI and pixel events lighting up at
their frames; Plugins > Event review steps through the events with the dF/F trace of each
event's ROI (or of a clicked one), colours every ROI by its r with it, marks it in the
correlation matrix (a click on a column selects that ROI), and saves the marks given to
events (real or false) as review/event_marks.csv: compare leaves the events marked false
out of its event statistics and counts the marks.

:class:`Results` and the marks functions need neither napari nor Qt.
"""

from ._marks import event_marks, read_marks, review_summary, set_mark, write_marks
from ._results import ActiveEvents, LazyFrames, Results

__all__ = [
    "ActiveEvents",
    "LazyFrames",
    "Results",
    "event_marks",
    "read_marks",
    "review_summary",
    "set_mark",
    "write_marks",
]
