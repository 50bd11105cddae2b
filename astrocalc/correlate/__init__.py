"""Correlation: the analysis of one recording (:func:`analyse`) and its parts: Pearson
matrix, circular-shift null, event tiling, lagged correlation, distance decay, pair table,
clustering order."""

from ._analysis import (
    CorrelationAnalysis,
    CorrelationPlan,
    CorrelationSettings,
    analyse,
    correlation_plan,
)
from ._cluster import cluster_order
from ._measures import (
    distance_decay,
    lagged_correlation,
    near_counts,
    sttc_matrix,
    tiled_fraction,
)
from ._null import benjamini_hochberg, circular_shift_pvalues
from ._pairs import (
    PAIR_COLUMNS,
    co_event_fraction,
    co_event_matrix,
    event_positions,
    pair_blocks,
    pair_distances,
    pairs_table,
    upper_triangle,
)
from ._pearson import pearson_matrix, zscore
from ._streaming import StreamingCorrelation, streaming_correlation

__all__ = [
    "CorrelationAnalysis",
    "CorrelationPlan",
    "CorrelationSettings",
    "analyse",
    "correlation_plan",
    "PAIR_COLUMNS",
    "StreamingCorrelation",
    "benjamini_hochberg",
    "circular_shift_pvalues",
    "cluster_order",
    "co_event_fraction",
    "co_event_matrix",
    "distance_decay",
    "event_positions",
    "lagged_correlation",
    "near_counts",
    "pair_blocks",
    "pair_distances",
    "pairs_table",
    "pearson_matrix",
    "streaming_correlation",
    "sttc_matrix",
    "tiled_fraction",
    "upper_triangle",
    "zscore",
]
