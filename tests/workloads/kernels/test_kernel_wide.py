"""Wide rows: the width is the smallest multiple of the channel count that fills the vector loop, and
tile/fold are each other's bookkeeping."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from workloads.kernels.wide import WIDE_ELEMENTS, fold, tile, wide_width


@given(c=st.integers(1, 300))
def test_width_is_the_smallest_multiple_of_the_channels_filling_a_wide_row(c):
    width = wide_width(c)
    assert width % c == 0
    assert width >= WIDE_ELEMENTS
    assert width - c < WIDE_ELEMENTS or width == c


@given(c=st.integers(1, 70), seed=st.integers(0, 2**16))
def test_tile_repeats_per_channel_values_and_fold_sums_each_channels_partials(c, seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(c)
    width = wide_width(c)
    tiled = tile(v, width)
    np.testing.assert_array_equal(tiled, np.tile(v, width // c))
    out = np.empty(c)
    fold(tiled, c, out)
    np.testing.assert_allclose(out, v * (width // c), rtol=1e-12)
