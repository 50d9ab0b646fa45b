"""Checks and result shapes shared by the closed-form formulas of :mod:`netplan.sim.queueing`."""

from __future__ import annotations

import numpy as np

from netplan.errors import Problem, ValidationError

__all__ = ["check_nonnegative", "invalid", "scalar_or_array", "whole_numbers"]


def invalid(field: str, message: str) -> ValidationError:
    """The error raised for a bad argument ``field``."""
    return ValidationError([Problem("", field, message)])


def check_nonnegative(name: str, value: np.ndarray) -> None:
    """Refuse an argument with a negative or non-finite element."""
    if np.any(~np.isfinite(value)) or np.any(value < 0):
        raise invalid(name, "must be finite and >= 0")


def whole_numbers(name: str, value) -> np.ndarray:
    """The argument as int64, refused unless every element is a whole number >= 0.

    Examples
    --------
    >>> whole_numbers("servers", [1.0, 3])
    array([1, 3])
    """
    arr = np.asarray(value)
    as_float = arr.astype(float)
    if np.any(~np.isfinite(as_float)) or np.any(as_float < 0) or np.any(as_float % 1 != 0):
        raise invalid(name, "must be whole numbers >= 0")
    return as_float.astype(np.int64)


def scalar_or_array(x: np.ndarray):
    """Return a Python float for 0-d results, an array otherwise."""
    return float(x) if np.ndim(x) == 0 else x
