"""Exact jumps over identical repetitions: a cell's state after n identical periods, without n steps.

Every battery model of :mod:`hw_models` evolves its state linearly under a constant current: the ideal
and Peukert cells drain their state of charge at a constant rate, and the kinetic battery model's two
wells follow a linear ODE with a closed form. A period made of constant-current pieces (an inference
and a sleep, or a whole day with its training session) is therefore an affine map ``x -> M x + v`` of
the cell's state, whatever the state (as long as no cut-off is reached). The map is read off by
probing the real period at ``dim + 1`` nearby states (so it is the battery model's own arithmetic, not
a second model of it), and ``n`` periods are the map raised to the ``n``-th power by squaring:
``log2(n)`` small matrix products.

Where the cut-off comes: the state drains monotonically from period to period (the charge falls by a
constant amount each period and, for KiBaM, the wells' difference converges monotonically), so "the
period from state ``x_j`` runs to its end" is true up to some ``j`` and false after: bisection finds
the first failing period, which the caller then runs piece by piece.
"""

from __future__ import annotations

from collections.abc import Callable

Vector = tuple[float, ...]
Matrix = tuple[tuple[float, ...], ...]
Affine = tuple[Matrix, Vector]


def probe(f: Callable[[Vector], Vector | None], x0: Vector, scale: Vector) -> Affine | None:
    """The affine map ``f`` is near ``x0`` (None if ``f`` fails at a probe point).

    Probes step each coordinate down by ``1e-4 x scale`` (down: a full cell cannot hold more).
    """
    y0 = f(x0)
    if y0 is None:
        return None
    n = len(x0)
    columns = []
    for i in range(n):
        h = 1e-4 * scale[i]
        xi = tuple(x - (h if j == i else 0.0) for j, x in enumerate(x0))
        yi = f(xi)
        if yi is None:
            return None
        columns.append(tuple((a - b) / h for a, b in zip(y0, yi, strict=True)))
    m = tuple(tuple(columns[j][i] for j in range(n)) for i in range(n))
    v = tuple(y0[i] - sum(m[i][j] * x0[j] for j in range(n)) for i in range(n))
    return m, v


def probe_scale(x: Vector) -> Vector:
    """Probe steps for every coordinate: the size of the whole state (one scale for the wells of KiBaM)."""
    total = sum(abs(v) for v in x) or 1.0
    return (total,) * len(x)


def compose(second: Affine, first: Affine) -> Affine:
    """``second`` after ``first``."""
    (m2, v2), (m1, _v1) = second, first
    n = len(v2)
    m = tuple(tuple(sum(m2[i][k] * m1[k][j] for k in range(n)) for j in range(n)) for i in range(n))
    return m, apply(second, first[1])


def apply(f: Affine, x: Vector) -> Vector:
    m, v = f
    return tuple(sum(m[i][j] * x[j] for j in range(len(x))) + v[i] for i in range(len(v)))


def power(f: Affine, n: int) -> Affine:
    """``f`` applied ``n`` times, by squaring."""
    size = len(f[1])
    result: Affine = (
        tuple(tuple(1.0 if i == j else 0.0 for j in range(size)) for i in range(size)),
        (0.0,) * size,
    )
    base = f
    while n > 0:
        if n & 1:
            result = compose(base, result)
        base = compose(base, base)
        n >>= 1
    return result


def first_failure(f: Affine, x0: Vector, ok: Callable[[Vector], bool], limit: int) -> int:
    """The first ``j < limit`` whose period fails from ``f^j(x0)`` (``limit`` if none).

    Assumes the monotone drain of the module docstring (true, then false), so a binary search over ``j``
    finds it; the search climbs by the powers ``f^(2^k)``, each squared once, rather than raising ``f``
    to every probed ``j``.
    """
    if limit <= 0 or not ok(x0):
        return 0
    powers = [f]
    while (1 << len(powers)) < limit:
        powers.append(compose(powers[-1], powers[-1]))
    j, x = 0, x0  # ok at f^j(x0)
    for k in range(len(powers) - 1, -1, -1):
        if j + (1 << k) <= limit - 1:
            ahead = apply(powers[k], x)
            if ok(ahead):
                j, x = j + (1 << k), ahead
    return limit if j == limit - 1 else j + 1
