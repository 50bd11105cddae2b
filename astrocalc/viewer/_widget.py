"""The event review dock widget: step through a recording's events, see the dF/F trace of
the ROI under review (or of a clicked ROI), its r with every other ROI on the image and
in the correlation matrix (a click on the matrix selects that column's ROI), mark events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from qtpy.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ._marks import read_marks, set_mark, write_marks
from ._results import Results

CORRELATION_LAYER = "r with the selected ROI"


class EventReview(QWidget):
    """A dock widget over the layers of one results folder opened in ``viewer``."""

    def __init__(self, napari_viewer, results: str | Path | None = None):
        super().__init__()
        self.viewer = napari_viewer
        if results is not None:
            self.results = Results.read(results)
        else:  # the folder the plugin's reader opened, read once
            self.results = next(
                (
                    layer.metadata["astrocalc_results"]
                    for layer in napari_viewer.layers
                    if "astrocalc_results" in layer.metadata
                ),
                None,
            )
            if self.results is None:
                raise ValueError("open an astrocalc results folder first (File > Open Folder)")
        self.events = self.results.events.sort_values(["onset_frame", "roi_id"]).reset_index(
            drop=True
        )
        self.marks = read_marks(self.results.folder)
        self.index = -1
        self.roi_id: int | None = None

        self.label = QLabel("no event chosen")
        self.label.setWordWrap(True)
        buttons = {}
        row = QHBoxLayout()
        for name, slot in (
            ("previous", self.previous),
            ("next", self.next),
            ("real", lambda: self.mark(True)),
            ("false", lambda: self.mark(False)),
        ):
            buttons[name] = QPushButton(name.capitalize())
            buttons[name].clicked.connect(slot)
            row.addWidget(buttons[name])
        self.buttons = buttons
        self.figure = Figure(figsize=(4, 2.2), dpi=100, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        box = QVBoxLayout(self)
        box.addWidget(self.label)
        box.addLayout(row)
        box.addWidget(self.canvas)
        self.matrix_figure = Figure(figsize=(4, 3.4), dpi=100, layout="constrained")
        self.matrix_canvas = FigureCanvasQTAgg(self.matrix_figure)
        self._selected_lines = self._draw_matrix()
        if self._selected_lines is not None:
            self.matrix_canvas.mpl_connect("button_press_event", self._matrix_clicked)
            box.addWidget(self.matrix_canvas)

        for layer in self._roi_layers():
            layer.mouse_drag_callbacks.append(self._clicked)
        self.viewer.dims.events.current_step.connect(self._frame_changed)

    # -- navigation and marks
    def go_to(self, index: int) -> None:
        """Show event ``index`` (in onset order): its peak frame, its ROI."""
        if not len(self.events):
            return
        self.index = int(np.clip(index, 0, len(self.events) - 1))
        event = self.events.iloc[self.index]
        self.viewer.dims.set_current_step(0, int(event.peak_frame))
        self.select_roi(int(event.roi_id))

    def next(self) -> None:
        self.go_to(self.index + 1)

    def previous(self) -> None:
        self.go_to(self.index - 1)

    def mark(self, real: bool) -> None:
        """Mark the event under review real or false, save the marks, go to the next."""
        if self.index < 0:
            return
        self.marks = set_mark(self.marks, self.events.iloc[self.index], real)
        write_marks(self.results.folder, self.marks)
        self.next()

    # -- the selected ROI
    def select_roi(self, roi_id: int) -> None:
        self.roi_id = roi_id
        r = self.results.correlation_map(roi_id)
        if CORRELATION_LAYER in self.viewer.layers:
            self.viewer.layers[CORRELATION_LAYER].data = r
        else:
            scale = (self.results.pixel_size_um,) * 2
            self.viewer.add_image(
                r, name=CORRELATION_LAYER, colormap="coolwarm", contrast_limits=(-1, 1),
                scale=scale, opacity=0.7, visible=False,
            )  # fmt: skip
        self._describe()
        self._plot()
        self._show_in_matrix()

    def _roi_layers(self):
        return [
            layer
            for layer in self.viewer.layers
            if layer.metadata.get("compartment") and layer.metadata.get("astrocalc_results")
        ]

    def _clicked(self, layer, event):
        value = layer.get_value(event.position, world=True)
        if value:
            self.select_roi(int(value))

    def _matrix_clicked(self, event) -> None:
        ids = self.results.correlation_ids
        if event.inaxes is not self.matrix_figure.axes[0] or event.xdata is None:
            return
        k = int(round(event.xdata))
        if 0 <= k < len(ids):
            self.select_roi(int(ids[k]))

    def _frame_changed(self, _event=None) -> None:
        if self.roi_id is not None:
            self._plot()

    def _describe(self) -> None:
        if self.index < 0 or int(self.events.iloc[self.index].roi_id) != self.roi_id:
            self.label.setText(f"ROI {self.roi_id}")
            return
        e = self.events.iloc[self.index]
        mark = self.marks.loc[self.marks.event_id == e.event_id, "mark"]
        said = ("marked real" if mark.iloc[0] else "marked false") if len(mark) else "not marked"
        self.label.setText(
            f"event {self.index + 1} of {len(self.events)} (id {e.event_id}): ROI {e.roi_id}, "
            f"onset {e.onset_s:.1f} s, dF/F {e.amplitude_dff:.2f}, {e.duration_s:.1f} s, "
            f"{e.kind}; {said}"
        )

    def _plot(self) -> None:
        fs = self.results.frame_rate_hz
        trace = self.results.trace(self.roi_id)
        self.figure.clear()
        ax = self.figure.add_subplot()
        t = np.arange(len(trace)) / fs
        ax.plot(t, trace, lw=0.7, color="k")
        for e in self.events[self.events.roi_id == self.roi_id].itertuples():
            current = self.index >= 0 and e.event_id == self.events.iloc[self.index].event_id
            ax.axvspan(e.onset_frame / fs, e.end_frame / fs, alpha=0.35 if current else 0.15,
                       color="tab:orange" if current else "tab:blue", lw=0)  # fmt: skip
        ax.axvline(self.viewer.dims.current_step[0] / fs, color="tab:red", lw=0.8)
        ax.set_xlabel("time (s)")
        ax.set_ylabel(f"ROI {self.roi_id} dF/F")
        self.canvas.draw_idle()

    # -- the correlation matrix
    def _draw_matrix(self):
        """The matrix of r between ROI traces (in correlation.csv's order, axes labelled
        by ROI id), drawn once; returns the two lines that mark the selected ROI's row and
        column (None where the recording has no correlation stage's matrix)."""
        matrix, ids = self.results.correlation, self.results.correlation_ids
        if matrix is None or not len(ids):
            return None
        ax = self.matrix_figure.add_subplot()
        image = ax.imshow(matrix, cmap="coolwarm", vmin=-1, vmax=1, interpolation="nearest")
        self.matrix_figure.colorbar(image, ax=ax, label="r", shrink=0.8)
        by_id = FuncFormatter(lambda v, _: str(ids[int(v)]) if 0 <= v < len(ids) else "")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(6, integer=True))
            axis.set_major_formatter(by_id)
        ax.set_xlabel("ROI (click a column to select it)")
        ax.set_ylabel("ROI")
        return ax.axhline(np.nan, color="k", lw=0.8), ax.axvline(np.nan, color="k", lw=0.8)

    def _show_in_matrix(self) -> None:
        if self._selected_lines is None:
            return
        at = np.flatnonzero(self.results.correlation_ids == self.roi_id)
        k = float(at[0]) if len(at) else np.nan
        row, column = self._selected_lines
        row.set_ydata([k, k])
        column.set_xdata([k, k])
        self.matrix_canvas.draw_idle()
