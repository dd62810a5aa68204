"""The one jit policy every kernel in :mod:`workloads.kernels` is compiled with.

``cache=True`` writes compiled machine code next to the sources, so only the first import on a
machine pays the compile. ``nogil=True`` lets callers run kernels from threads. ``fastmath`` stays
off: the tests compare against NumPy references at rtol 1e-4 and finite differences, and reassociated
reductions would make results depend on the vector width of the host. ``error_model="numpy"`` drops
the Python-style zero-division checks from inner loops (divisions by zero cannot occur in these
kernels: every divisor is a count, a positive scale or ``sqrt(var + eps)``).
"""

import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy")

__all__ = ["kernel"]
