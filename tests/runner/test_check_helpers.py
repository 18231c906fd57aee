"""panlearn_check, the helpers exercise tests import inside the sandbox (tested here as plain Python)."""

import sys

import numpy as np
import pytest

from runner.sandbox import KERNEL_LIB_SOURCE

sys.path.insert(0, str(KERNEL_LIB_SOURCE))
import panlearn_check as check


def test_close_numbers_and_arrays():
    check.close(8.88576587, 8.8857658763, rtol=1e-6)
    check.close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12])
    with pytest.raises(AssertionError, match=r"Q at 90°: got 8\.0, expected 8\.88"):
        check.close(8.0, 8.8857658763, rtol=1e-6, what="Q at 90°")
    with pytest.raises(AssertionError, match="expected a number, got 'eight'"):
        check.close("eight", 8.0)
    with pytest.raises(AssertionError, match="got nan"):
        check.close(float("nan"), 1.0)
    with pytest.raises(AssertionError, match=r"shape \(3,\), expected \(2,\)"):
        check.close(np.zeros(3), np.zeros(2))
    with pytest.raises(AssertionError, match="first large difference at index 1"):
        check.close(np.array([1.0, 5.0]), np.array([1.0, 2.0]))


def test_equal_and_points():
    check.equal([1, 2], [1, 2])
    with pytest.raises(AssertionError, match=r"got \[1\], expected \[2\]"):
        check.equal([1], [2])

    @check.points(2)
    def test_something():
        return None

    assert test_something.points == 2
