"""The validation protocol of `cmhash run`: rows held out, rows ranked against, and scores."""

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.data import Split
from cmhash.errors import InputError
from cmhash.validation_protocol import validation_split
from tests.reference import naive_metrics

SPLIT = Split(train=np.arange(10, 20), query=np.arange(0, 5), database=np.arange(5, 20),
              protocol="test")


def test_rows_held_out_and_ranked_against():
    # RandomState(0).permutation(10) = [2 8 4 9 1 6 7 3 0 5]: its first 3 positions are held out
    protocol = validation_split(SPLIT, 3, seed=0, database_size=4)
    assert protocol.queries.tolist() == [12, 14, 18]
    assert protocol.fit.tolist() == [10, 11, 13, 15, 16, 17, 19]
    assert protocol.database.tolist() == [10, 11, 13, 15]  # the first 4 fitted pairs
    everything = validation_split(SPLIT, 3, seed=0)
    assert everything.database.tolist() == everything.fit.tolist()


def test_another_seed_holds_out_other_pairs():
    assert validation_split(SPLIT, 3, seed=1).queries.tolist() != [12, 14, 18]


def test_bad_sizes_are_input_errors():
    with pytest.raises(InputError, match="validation size must be between 1 and 9"):
        validation_split(SPLIT, 10, seed=0)
    with pytest.raises(InputError, match="database size must be at least 1, got 0"):
        validation_split(SPLIT, 3, seed=0, database_size=0)


def test_cross_modal_map_against_the_per_query_loop():
    rng = np.random.default_rng(3)
    protocol = validation_split(SPLIT, 3, seed=0, database_size=5)
    labels = (rng.random((20, 4)) < 0.4).astype(np.uint8)
    labels[:, 0] = 1  # every query has a relevant item
    signs = {key: np.where(rng.random((n, 16)) < 0.5, 1, -1)
             for key, n in (("qi", 3), ("qt", 3), ("di", 5), ("dt", 5))}
    i2t, t2i = protocol.cross_modal_map(
        {"image": Codes.from_real(signs["qi"]), "text": Codes.from_real(signs["qt"])},
        {"image": Codes.from_real(signs["di"]), "text": Codes.from_real(signs["dt"])}, labels)
    query_labels, database_labels = labels[protocol.queries], labels[protocol.database]
    assert i2t == pytest.approx(naive_metrics.metric("map", signs["qi"], signs["dt"],
                                                     query_labels, database_labels))
    assert t2i == pytest.approx(naive_metrics.metric("map", signs["qt"], signs["di"],
                                                     query_labels, database_labels))


def test_cross_modal_map_checks_the_codes_match_the_rows():
    protocol = validation_split(SPLIT, 3, seed=0, database_size=5)
    three, five = Codes.from_real(np.ones((3, 8))), Codes.from_real(np.ones((5, 8)))
    labels = np.ones((20, 2), np.uint8)
    with pytest.raises(InputError, match="database text codes have 3 rows, the validation "
                                         "split has 5"):
        protocol.cross_modal_map({"image": three, "text": three},
                                 {"image": five, "text": three}, labels)
    with pytest.raises(InputError, match="query codes: no text codes given"):
        protocol.cross_modal_map({"image": three}, {"image": five, "text": five}, labels)
