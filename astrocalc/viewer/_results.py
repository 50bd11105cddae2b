"""A results folder as napari layers: what the viewer shows, without napari or Qt (so that
it can be tested, and used from a notebook with any viewer that takes arrays)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from .. import layout
from ..errors import InputError
from ..io import open_movie

# ROI compartments (segmentation/rois.csv) in the order their layers are listed, each with
# its colour (the ROI figure's: segmentation/rois.png)
COMPARTMENTS = {
    "soma": "#e41a1c",
    "process": "#377eb8",
    "microdomain": "#4daf4a",
    "unknown": "#999999",
}


class _Frames:
    """A lazy (T, Y, X) array for napari: :meth:`frames` makes frames start..stop when
    napari shows them."""

    shape: tuple[int, int, int]
    dtype: np.dtype
    ndim = 3

    def frames(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        t, rest = key[0], key[1:]
        if isinstance(t, (int, np.integer)):
            t = int(t) % self.shape[0]
            return self.frames(t, t + 1)[0][rest]
        start, stop, step = (t if isinstance(t, slice) else slice(None)).indices(self.shape[0])
        return self.frames(start, stop)[::step][(slice(None), *rest)]

    def __array__(self, dtype=None, copy=None):
        frames = self[:]
        return frames if dtype is None else frames.astype(dtype)


class LazyFrames(_Frames):
    """The corrected movie, read from its file."""

    def __init__(self, movie):
        self._movie = movie
        self.shape = tuple(movie.shape)
        self.dtype = np.dtype(movie.dtype)

    def frames(self, start: int, stop: int) -> np.ndarray:
        return self._movie.read(start, stop)

    def close(self) -> None:
        self._movie.close()

    def __del__(self):  # the layer holding it is gone: the file is no longer needed
        self.close()


class ActiveEvents(_Frames):
    """Labels of the events in progress at each frame: each event's pixels carry its
    event_id from its onset to its end. ``footprints`` are rows (event_id, y, x, first,
    last): the frames over which that pixel belongs to that event."""

    def __init__(self, footprints: np.ndarray, shape: tuple[int, int, int]):
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(np.int32)
        rows = np.asarray(footprints, np.int64)
        self._rows = rows[np.argsort(rows[:, 3], kind="stable")]  # by first frame

    def frame(self, t: int) -> np.ndarray:
        rows = self._rows[: np.searchsorted(self._rows[:, 3], t, side="right")]
        rows = rows[rows[:, 4] >= t]
        out = np.zeros(self.shape[1:], self.dtype)
        out[rows[:, 1], rows[:, 2]] = rows[:, 0]
        return out

    def frames(self, start: int, stop: int) -> np.ndarray:
        out = np.zeros((max(stop - start, 0), *self.shape[1:]), self.dtype)
        for i, t in enumerate(range(start, stop)):
            out[i] = self.frame(t)
        return out


@dataclass
class Results:
    """One recording's results folder, read for viewing (tables whole, the movie lazily)."""

    folder: Path
    frame_rate_hz: float
    pixel_size_um: float
    movie: LazyFrames
    rois: np.ndarray  # (Y, X) labels: roi_id, 0 outside
    roi_table: pd.DataFrame  # segmentation/rois.csv
    events: pd.DataFrame  # events/events.csv
    traces: pd.DataFrame  # events/traces.csv
    pixel_footprints: pd.DataFrame | None  # events/pixel_footprints.csv, where written
    correlation: np.ndarray | None = None  # (N, N), ROIs in correlation_ids' order
    correlation_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, int))

    @staticmethod
    def is_results(folder: str | Path) -> bool:
        """Whether ``folder`` is a recording's results folder (motion has run in it)."""
        return layout.path(folder, "motion/stage.json").is_file()

    @classmethod
    def read(cls, folder: str | Path) -> Results:
        folder = Path(folder)
        stage = layout.path(folder, "motion/stage.json")
        if not cls.is_results(folder):
            raise InputError(
                f"{folder}: no motion/stage.json; expected an astrocalc results folder "
                "(astrocalc run ... --out FOLDER)"
            )
        recording = json.loads(stage.read_text())["recording"]

        def table(rel, required=True):
            f = layout.path(folder, rel)
            if not f.is_file():
                if required:
                    raise InputError(f"{folder}: no {rel}; run the stage that writes it first")
                return None
            return pd.read_csv(f)

        tables = {
            "roi_table": table("segmentation/rois.csv"),
            "events": table("events/events.csv"),
            "traces": table("events/traces.csv"),
            "pixel_footprints": table("events/pixel_footprints.csv", required=False),
        }
        correlation, ids = None, np.zeros(0, int)
        matrix = layout.path(folder, "correlation/correlation.npy")
        if matrix.is_file():
            with open(layout.path(folder, "correlation/correlation.csv")) as f:
                ids = np.array(f.readline().strip().split(",")[1:], int)
            correlation = np.load(matrix)
        rois = tifffile.imread(layout.path(folder, "segmentation/rois.tif"))
        movie = open_movie(  # last: nothing after it can fail and leave it open
            layout.STAGES["segmentation"].corrected_movie(folder),
            frame_rate_hz=recording["frame_rate_hz"],
            pixel_size_um=recording["pixel_size_um"],
        )
        return cls(
            folder=folder,
            frame_rate_hz=float(movie.frame_rate_hz),
            pixel_size_um=float(movie.pixel_size_um),
            movie=LazyFrames(movie),
            rois=rois,
            correlation=correlation,
            correlation_ids=ids,
            **tables,
        )

    def close(self) -> None:
        self.movie.close()

    def __enter__(self) -> Results:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def trace(self, roi_id: int) -> np.ndarray:
        """dF/F of one ROI."""
        return self.traces[f"roi_{roi_id}"].to_numpy()

    def roi_events(self) -> ActiveEvents:
        """ROI events over time: each event's ROI, labelled by event_id, from its onset
        frame to its end frame."""
        pixels = {
            rid: np.argwhere(self.rois == rid) for rid in np.unique(self.events.roi_id.to_numpy())
        }
        rows = [
            np.column_stack(
                [np.full(len(p), e.event_id), p, np.full((len(p), 2), [e.onset_frame, e.end_frame])]
            )
            for e in self.events.itertuples()
            if len(p := pixels[e.roi_id])
        ]
        return ActiveEvents(_rows(rows), self.movie.shape)

    def pixel_events(self) -> ActiveEvents | None:
        """Pixel events over time: each pixel of an event's footprint from its own onset to
        the event's end there (pixel_footprints.csv); None where pixel events are off."""
        fp = self.pixel_footprints
        if fp is None:
            return None
        first = np.floor(fp.onset_s.to_numpy() * self.frame_rate_hz).astype(np.int64)
        last = np.ceil(fp.end_s.to_numpy() * self.frame_rate_hz).astype(np.int64)
        rows = np.column_stack([fp.event_id, fp.y, fp.x, first, last])
        return ActiveEvents(rows, self.movie.shape)

    def correlation_map(self, roi_id: int) -> np.ndarray:
        """(Y, X) float32: each ROI's pixels at its r with ``roi_id`` (NaN elsewhere)."""
        out = np.full(self.rois.shape, np.nan, np.float32)
        if self.correlation is None or roi_id not in self.correlation_ids:
            return out
        row = self.correlation[int(np.flatnonzero(self.correlation_ids == roi_id)[0])]
        lookup = np.full(int(self.rois.max()) + 1, np.nan, np.float32)
        lookup[self.correlation_ids] = row
        inside = self.rois > 0
        out[inside] = lookup[self.rois[inside]]
        return out

    def layers(self) -> list[tuple]:
        """napari's layer data tuples (data, keyword arguments, layer type): the corrected
        movie, the ROIs by compartment, the events in progress at each frame."""
        scale = (self.pixel_size_um, self.pixel_size_um)
        meta = {"astrocalc_results": self}  # (the review widget reads it from here)
        out = [
            (self.movie, {"name": "corrected movie", "scale": (1, *scale), "metadata": meta},
             "image"),
        ]  # fmt: skip
        compartment = dict(zip(self.roi_table.roi_id, self.roi_table.compartment, strict=True))
        for name, colour in COMPARTMENTS.items():
            ids = [rid for rid, c in compartment.items() if c == name]
            if not ids:
                continue
            labels = np.where(np.isin(self.rois, ids), self.rois, 0)
            out.append(
                (
                    labels,
                    {
                        "name": f"ROIs: {name}",
                        "scale": scale,
                        "opacity": 0.5,
                        "colormap": {None: "transparent", **dict.fromkeys(ids, colour)},
                        "metadata": {**meta, "compartment": name},
                    },
                    "labels",
                )
            )
        out.append(
            (self.roi_events(), {"name": "ROI events", "scale": (1, *scale), "metadata": meta},
             "labels"),
        )  # fmt: skip
        pixel = self.pixel_events()
        if pixel is not None:
            out.append(
                (pixel, {"name": "pixel events", "scale": (1, *scale), "metadata": meta,
                         "visible": False}, "labels"),
            )  # fmt: skip
        return out


def _rows(rows: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 5), np.int64)
