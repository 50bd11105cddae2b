import numpy as np
from scipy import ndimage

from astrocalc.events._components import _label_voxels, voxel_structure


def test_voxel_components_are_scipys_labels():
    """The compiled labelling of active voxels gives ``ndimage.label``'s components and
    numbers, on sparse and dense random volumes, with one frame or one row or column."""
    rng = np.random.default_rng(0)
    structure = voxel_structure()
    for trial in range(40):
        shape = tuple(int(v) for v in rng.integers(1, [6, 25, 25]))
        active = rng.random(shape) < rng.uniform(0.02, 0.7)
        labels, n = ndimage.label(active, structure=structure)
        idx, comp, m = _label_voxels(active, structure, np)
        assert m == n, trial
        np.testing.assert_array_equal(idx, np.flatnonzero(labels))
        np.testing.assert_array_equal(comp, labels.ravel()[idx])
