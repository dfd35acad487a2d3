"""Constraints on parameter values: each alternative accepts what it says, refusals name it."""

import numpy as np
import pytest

from cmhash.errors import InputError
from cmhash.utils.validation import (
    CodeLength,
    Device,
    Interval,
    ListOf,
    Options,
    check_value,
)


@pytest.mark.parametrize(("constraint", "accepted", "refused", "described"), [
    (Interval(int, 1), [1, 7, np.int64(3)], [0, -2, 1.0, True, "1", None], "an integer ≥ 1"),
    (Interval(float, 0, closed="neither"), [1e-9, 3, 2.5, np.float32(0.1)],
     [0, -1.0, float("nan"), float("inf"), "abc", False], "a number > 0"),
    (Interval(float, 0, 1), [0, 0.5, 1], [-0.1, 1.01], "a number in [0, 1]"),
    (Interval(float, 0, 1, closed="right"), [1, 0.5], [0, 0.0], "a number in (0, 1]"),
    (Interval(float), [-3.5, 0, 1e9], [float("-inf"), None], "a number"),
    (Options("sum", "mean"), ["sum", "mean"], ["Sum", 1, None], "one of 'sum', 'mean'"),
    (CodeLength(8), [8, 64, 128], [0, -8, 12, 8.0, True], "a positive multiple of 8"),
    (ListOf(Interval(int, 0), distinct=True), [[0], [0, 3]], [[], [1, 1], [1, -1], (1, 2), 1],
     "a non-empty list of distinct items, each an integer ≥ 0"),
    (ListOf(str), [["map"]], [[1], "map"], "a non-empty list of items, each a string"),
    (Device(), ["cpu"], ["gpu", "", 3, "cuda:99"], "'cpu' or an accelerator"),
])
def test_constraints_accept_and_describe(constraint, accepted, refused, described):
    assert all(constraint.accepts(v) for v in accepted)
    assert not any(constraint.accepts(v) for v in refused)
    assert str(constraint).startswith(described)


def test_check_value_tries_every_alternative_and_names_the_key():
    allowed = [Interval(int, 0), None, bool]
    for value in (0, None, True):
        assert check_value("seed", value, allowed) is value
    with pytest.raises(InputError, match=r"^'seed' must be an integer ≥ 0 or None or true or "
                                         r"false, got 'zero'$"):
        check_value("'seed'", "zero", allowed)
    with pytest.raises(InputError, match="must be a string, got 3"):
        check_value("name", 3, [str])
