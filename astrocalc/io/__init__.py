"""Reading and writing at the edges: movies (TIFF, TIFF sequences, HDF5, NWB, suite2p,
OME-Zarr, Zeiss CZI, Nikon ND2, Leica LIF), tables, ROI sets, atomic output folders."""

from .outputs import StageOutput, atomic_write_text, write_csv, write_json
from .tiff import Movie, MovieWriter, movie_writer, open_movie, reopen_movie, write_image

__all__ = [
    "Movie",
    "MovieWriter",
    "StageOutput",
    "atomic_write_text",
    "movie_writer",
    "open_movie",
    "reopen_movie",
    "write_csv",
    "write_image",
    "write_json",
]
