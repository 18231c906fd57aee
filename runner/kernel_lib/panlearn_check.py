"""Checks for exercise tests, with messages a student can act on.

    from panlearn_check import close, equal, points

    @points(2)                      # documentation only: the exercise's admin form sets the points
    def test_q_at_90_degrees():
        close(q_from(90, 1.0), 8.8857658763, rtol=1e-6, what="Q at 2θ = 90°, λ = 1 Å")

    def test_partial():
        return 0.5                  # a fraction in [0, 1] gives partial credit

A test passes by returning None or True, fails with AssertionError (its message is the feedback),
and earns partial credit by returning a fraction. This module runs inside the sandbox: it uses only
the standard library and numpy.
"""

import math


def points(value):
    """Mark a test with its points (shown to trainers reading the test; the admin form decides)."""

    def mark(function):
        function.points = value
        return function

    return mark


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def close(actual, expected, *, rtol: float = 1e-7, atol: float = 0.0, what: str = "the value") -> None:
    """`actual` equals `expected` within a relative and absolute tolerance (numbers or numpy arrays)."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is preloaded in every kernel
        np = None
    if np is not None and (isinstance(actual, np.ndarray) or isinstance(expected, np.ndarray)):
        actual_array, expected_array = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
        if actual_array.shape != expected_array.shape:
            raise AssertionError(f"{what}: shape {actual_array.shape}, expected {expected_array.shape}.")
        if not np.allclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=False):
            worst = int(np.argmax(np.abs(actual_array - expected_array)))
            raise AssertionError(
                f"{what}: differs from the expected values (first large difference at index {worst}: "
                f"{actual_array.flat[worst]!r} instead of {expected_array.flat[worst]!r})."
            )
        return
    try:
        actual_number, expected_number = float(actual), float(expected)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected a number, got {_describe(actual)}.") from None
    if math.isnan(actual_number) or not math.isclose(actual_number, expected_number, rel_tol=rtol, abs_tol=atol):
        raise AssertionError(f"{what}: got {actual_number!r}, expected {expected_number!r} (within {rtol:g}).")


def equal(actual, expected, *, what: str = "the value") -> None:
    """`actual == expected`, with both shown when they differ."""
    if actual != expected:
        raise AssertionError(f"{what}: got {_describe(actual)}, expected {_describe(expected)}.")
