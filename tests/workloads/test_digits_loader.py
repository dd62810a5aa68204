"""The digits load from scikit-learn's data file without importing scikit-learn, and equal its loader's."""

import subprocess
import sys

import numpy as np


def test_digits_arrays_equal_scikit_learns_loader():
    from sklearn.datasets import load_digits

    from workloads.datasets import digits_arrays

    images, target = digits_arrays()
    reference = load_digits()
    assert np.array_equal(images, reference.images) and np.array_equal(target, reference.target)


def test_loading_the_digits_does_not_import_scikit_learn():
    code = (
        "import sys; from workloads.datasets import digits_arrays; digits_arrays(); "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
