"""Named split protocols: how a dataset is divided into train, query and database.

=============  ==============================================================================
protocol       split
=============  ==============================================================================
``presplit``   the split stored in the data files (Wiki, HMAH/BMC triplets)
``wiki``       Wiki's official split: query = the 693 test pairs, train = database = the
               2,173 train pairs (an alias of ``presplit`` for the Wiki files)
``mirflickr``  ``numpy.random.RandomState(seed).permutation(n)``: query = the first 2,000,
               train = the next 10,000, database = every non-query pair (MITH's
               ``split_data``; seed 1 by default, as MITH hard-wires)
``dadh_mir``   query = the last 2,000 rows, train = the first 10,000, database = the first
               n − 2,000 (DADH on FLICKR-25K.mat)
``dadh_nus``   query = the first 2,100 rows, train = the next 10,000, database = the rest
``agah_mir``   query = the first 2,000 rows, train = the next 10,000, database = the rest
``random:query=Q,train=T``
               like ``mirflickr`` with Q query and T training pairs (seed 0 by default), for
               any dataset, e.g. a user's own folder; Q and T are counts (``query=200``) or
               fractions of the n pairs (``query=0.1`` → ⌊0.1 n⌋ pairs)
=============  ==============================================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from cmhash.data.dataset import PairedDataset, Split
from cmhash.errors import InputError


def random_split(n: int, n_query: int, n_train: int, seed: int, protocol: str) -> Split:
    """One seeded permutation: query first, then train; database = all non-query pairs."""
    if n_query + n_train > n:
        raise InputError(f"protocol {protocol!r} needs {n_query} query + {n_train} train "
                         f"pairs, but the dataset has {n}")
    order = np.random.RandomState(seed).permutation(n)
    return Split(train=order[n_query:n_query + n_train], query=order[:n_query],
                 database=order[n_query:], protocol=protocol, seed=seed,
                 database_contains_train=True)


def _need(n: int, at_least: int, protocol: str) -> None:
    if n < at_least:
        raise InputError(f"protocol {protocol!r} needs at least {at_least} pairs, "
                         f"the dataset has {n}")


def _presplit(dataset: PairedDataset, seed: int | None) -> Split:
    if dataset.presplit is None:
        raise InputError(f"dataset {dataset.name!r} stores no split; choose a protocol: "
                         f"{', '.join(p for p in PROTOCOLS if p not in ('presplit', 'wiki'))}")
    return dataset.presplit


def _mirflickr(dataset: PairedDataset, seed: int | None) -> Split:
    return random_split(len(dataset), 2000, 10000, 1 if seed is None else seed, "mirflickr")


def _dadh_mir(dataset: PairedDataset, seed: int | None) -> Split:
    n = len(dataset)
    _need(n, 12000, "dadh_mir")
    return Split(train=np.arange(10000), query=np.arange(n - 2000, n),
                 database=np.arange(n - 2000), protocol="dadh_mir",
                 database_contains_train=True)


def _first_query(n_query: int, protocol: str) -> Callable[[PairedDataset, int | None], Split]:
    def make(dataset: PairedDataset, seed: int | None) -> Split:
        n = len(dataset)
        _need(n, n_query + 10000, protocol)
        return Split(train=np.arange(n_query, n_query + 10000), query=np.arange(n_query),
                     database=np.arange(n_query, n), protocol=protocol,
                     database_contains_train=True)
    return make


PROTOCOLS: dict[str, Callable[[PairedDataset, int | None], Split]] = {
    "presplit": _presplit,
    "wiki": _presplit,
    "mirflickr": _mirflickr,
    "dadh_mir": _dadh_mir,
    "dadh_nus": _first_query(2100, "dadh_nus"),
    "agah_mir": _first_query(2000, "agah_mir"),
}


RANDOM_FORM = "random:query=Q,train=T"
_SIZE = re.compile(r"^(?:[1-9][0-9]*|0?\.[0-9]*[1-9][0-9]*)$")  # a count, or a fraction in (0, 1)


def list_protocols() -> list[str]:
    """The named protocols, and the form of the random one."""
    return [*PROTOCOLS, RANDOM_FORM]


def _random_sizes(protocol: str) -> dict[str, int | Fraction]:
    """``random:query=Q,train=T`` → {"query": Q, "train": T}, each a count (int) or an exact
    fraction of the pairs in (0, 1)."""
    sizes = {}
    for pair in protocol.partition(":")[2].split(","):
        key, _, value = pair.partition("=")
        sizes[key.strip()] = value.strip()
    if set(sizes) != {"query", "train"} or not all(_SIZE.match(v) for v in sizes.values()):
        raise InputError(f"protocol {protocol!r}: expected {RANDOM_FORM} with Q and T positive "
                         "counts (query=200) or fractions of the pairs (query=0.1)")
    return {key: Fraction(v) if "." in v else int(v) for key, v in sizes.items()}


def check_protocol(protocol: str) -> None:
    """Raise an :class:`InputError` unless ``protocol`` is a known name or a well-formed random
    protocol (what can be checked without the data)."""
    if protocol.startswith("random:"):
        _random_sizes(protocol)
    elif protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; known: {', '.join(list_protocols())}")


def make_split(dataset: PairedDataset, protocol: str, seed: int | None = None) -> Split:
    """The split of ``dataset`` under a named protocol (see the table above)."""
    check_protocol(protocol)
    if protocol.startswith("random:"):
        n = len(dataset)
        counts = {}
        for key, size in _random_sizes(protocol).items():
            counts[key] = size if isinstance(size, int) else math.floor(size * n)
            if counts[key] == 0:
                raise InputError(f"protocol {protocol!r}: {key}={float(size)} of {n} pairs is "
                                 "no pair")
        return random_split(n, counts["query"], counts["train"], 0 if seed is None else seed,
                            protocol)
    return PROTOCOLS[protocol](dataset, seed)


def carve_validation(train: np.ndarray, n_validation: int,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows): ``n_validation`` training pairs held out at random for
    model selection; the test queries are never used for it."""
    if not 0 < n_validation < len(train):
        raise InputError(f"validation size must be between 1 and {len(train) - 1}, "
                         f"got {n_validation}")
    order = np.random.RandomState(seed).permutation(len(train))
    return np.sort(train[order[n_validation:]]), np.sort(train[order[:n_validation]])
