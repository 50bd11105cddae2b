"""Hierarchical clustering of the correlation matrix: figure order and cluster labels."""

from __future__ import annotations

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

MAX_OPTIMAL_ORDER = 1000  # ROIs up to which the leaf order is optimised (O(N^3) work)


def cluster_order(r: np.ndarray, *, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Leaf order and flat clusters of ROIs from average linkage on 1 - r.

    The leaves are put in optimal order (Bar-Joseph et al. 2001 Bioinformatics 17:S22:
    neighbours as similar as possible) up to ``MAX_OPTIMAL_ORDER`` ROIs; beyond that, where
    it would take hours, in the dendrogram's own order, which keeps every cluster
    contiguous all the same.

    Parameters
    ----------
    r : array (N, N)
        Correlation matrix.
    threshold : float
        Clusters are cut at this linkage distance (1 - r).

    Returns
    -------
    order : int array (N,)
        Permutation that puts correlated ROIs next to each other (optimal leaf order).
    clusters : int array (N,)
        Cluster number (1..K) of each ROI, numbered along ``order``.
    """
    n = r.shape[0]
    if n < 2:
        return np.arange(n), np.ones(n, int)
    d = np.clip(1.0 - r, 0.0, 2.0)
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0.0)
    condensed = squareform(d, checks=False)
    del d
    z = hierarchy.linkage(condensed, method="average")
    if n <= MAX_OPTIMAL_ORDER:
        z = hierarchy.optimal_leaf_ordering(z, condensed)
    order = hierarchy.leaves_list(z)
    raw = hierarchy.fcluster(z, t=threshold, criterion="distance")
    # renumber clusters in the order they appear along the leaves
    first_seen = {}
    for leaf in order:
        first_seen.setdefault(raw[leaf], len(first_seen) + 1)
    return order, np.array([first_seen[c] for c in raw])
