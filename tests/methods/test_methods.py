"""Every registered method's parameters and randomness, and the baselines' own maths (the
shared contract of fit, codes and saving: test_conformance.py)."""

import random

import numpy as np
import pytest
import torch

from cmhash.errors import InputError
from cmhash.methods import METHODS, FitContext, create_method, list_methods
from cmhash.methods.cca_itq import itq_rotation
from cmhash.methods.ridge_hash import label_codes
from cmhash.metrics import mean_average_precision
from tests.helpers import token_pairs


@pytest.fixture(scope="module")
def toy():
    """Two modalities that are noisy views of a class signal, 4 classes."""
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 4, 240)
    labels = np.eye(4, dtype=np.uint8)[classes]
    centres_i, centres_t = rng.normal(size=(4, 12)), rng.normal(size=(4, 6))
    image = centres_i[classes] + 0.8 * rng.normal(size=(240, 12))
    text = centres_t[classes] + 0.8 * rng.normal(size=(240, 6))
    return image, text, labels


def _fit(name, toy, **params):
    image, text, labels = toy
    return create_method(name, bits=16, random_state=3, **params).fit(
        image[:160], text[:160], labels[:160])


#: small settings so that every registered method trains in seconds
QUICK = {
    "cca_itq": {"n_anchors": 100},
    "ridge_hash": {"n_anchors": 100},
    "random": {},
    "hmah": {"teacher_epochs": 2, "student_epochs": 2, "batch_size": 64},
    "dadh": {"hidden": 64, "epochs": 2, "batch_size": 32},
    "agah": {"hidden": 64, "embedding": 32, "epochs": 2, "batch_size": 32},
}


GLOBAL_INPUT = [m for m in list_methods() if METHODS[m].input_spec.form == "global"]
#: the token methods' quick settings, one step (their own tests: tests/methods/test_mith.py)
TOKEN_QUICK = {"mith": {"epochs": 1, "batch_size": 40}, "math": {"epochs": 1, "batch_size": 40}}
#: methods whose quick fit still takes seconds on a loaded 2-core machine
SLOW = {"hmah", "mith", "math"}


def _marked(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def test_every_method_has_quick_settings():
    assert set(QUICK) == set(GLOBAL_INPUT)
    assert set(QUICK) | set(TOKEN_QUICK) == set(list_methods())


@pytest.fixture(scope="module")
def tokens():
    return token_pairs(60)


def _quick_fit(name, toy, tokens, random_state):
    """``name`` fitted in seconds on inputs of its kind; and query inputs to encode."""
    method = create_method(name, bits=16, random_state=random_state,
                           **QUICK.get(name, TOKEN_QUICK.get(name)))
    if name in QUICK:
        image, text, labels = toy
        return method.fit(image[:160], text[:160], labels[:160]), image[160:]
    image, text, labels = tokens
    rows = np.arange(40)
    context = FitContext(label_text=text[rows]) if method.input_spec.label_texts else None
    return method.fit(image[rows], text[rows], labels[rows], context), image[np.arange(40, 60)]


@pytest.mark.parametrize("name", ["cca_itq", "ridge_hash"])
def test_baselines_learn_cross_modal_codes(name, toy):
    image, text, labels = toy
    method = _fit(name, toy, n_anchors=100)
    floor = _fit("random", toy)
    for m in (method, floor):
        m.i2t = mean_average_precision(m.encode_image(image[160:]), m.encode_text(text[:160]),
                                       labels[160:], labels[:160])
    assert method.i2t > floor.i2t + 0.3


def test_supervised_method_needs_labels(toy):
    image, text, labels = toy
    with pytest.raises(InputError, match="supervised and needs labels"):
        create_method("ridge_hash", bits=16).fit(image, text)
    empty = labels.copy()
    empty[5] = 0
    with pytest.raises(InputError, match="training label row 5 is all zeros"):
        create_method("ridge_hash", bits=16).fit(image, text, empty)


def test_parameter_errors(toy):
    image, text, _ = toy
    with pytest.raises(InputError, match="no parameter 'ridgee'"):
        create_method("ridge_hash", ridgee=1)
    with pytest.raises(InputError, match="unknown method 'dcmh'"):
        create_method("dcmh")
    with pytest.raises(InputError, match="multiple of 8"):
        create_method("cca_itq", bits=20).fit(image, text)
    for seed in (-1, 2**32, 1.5, True):
        with pytest.raises(InputError, match=r"parameter 'random_state' must be an integer in "
                                             r"\[0, 4294967296\) or None, got"):
            create_method("cca_itq", bits=16, random_state=seed).fit(image, text)
    with pytest.raises(InputError, match="columns"):
        _fit("cca_itq", toy, n_anchors=100).encode_image(text)


@pytest.mark.parametrize("name", list_methods())
def test_every_parameter_has_a_constraint_its_default_meets(name):
    cls = METHODS[name]
    assert set(cls._parameter_constraints) == set(cls._param_names())
    cls().validate_params()


@pytest.mark.parametrize(("name", "params", "message"), [
    ("ridge_hash", {"ridge": -1}, "'ridge' must be a number > 0, got -1"),
    ("ridge_hash", {"ridge": "abc"}, "'ridge' must be a number > 0, got 'abc'"),
    ("cca_itq", {"n_anchors": 8}, "'n_anchors' must be at least bits (16), got 8"),
    ("dadh", {"epochs": 0}, "'epochs' must be an integer ≥ 1, got 0"),
    ("dadh", {"epochs": 2.5}, "'epochs' must be an integer ≥ 1, got 2.5"),
    ("dadh", {"weighted_triplet": "yes"}, "'weighted_triplet' must be true or false or None"),
    ("hmah", {"dropout": 1.0}, "'dropout' must be a number in [0, 1)"),
    ("mith", {"precision": "fp8"}, "'precision' must be one of 'float32', 'bfloat16'"),
    ("agah", {"device": "gpu"}, "'device' must be 'cpu' or an accelerator this machine has"),
    ("random", {"random_state": -1},
     "'random_state' must be an integer in [0, 4294967296) or None"),
])
def test_parameters_outside_their_table_are_refused_before_fitting(name, params, message):
    method = create_method(name, bits=16, **params)  # storing is not checking (sklearn)
    with pytest.raises(InputError) as error:
        method.validate_params()
    assert str(error.value).startswith(f"method {name!r}: parameter {message}")


def test_itq_rotation_is_orthogonal_and_lowers_quantisation_loss(rng):
    v = rng.normal(size=(500, 8)) * np.linspace(3, 0.5, 8)
    rotation = itq_rotation(v, 50, rng)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(8), atol=1e-10)

    def loss(r):
        projected = v @ r
        return np.square(np.sign(projected) - projected).sum()

    assert loss(rotation) < min(loss(np.eye(8)), loss(itq_rotation(v, 0, rng)))


def test_label_codes_give_equal_label_sets_equal_codes(rng):
    labels = np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0], [2, 0, 2]], float)
    codes = label_codes(labels, 32, rng)
    assert set(np.unique(codes)) == {-1.0, 1.0}
    np.testing.assert_array_equal(codes[0], codes[1])
    np.testing.assert_array_equal(codes[0], codes[3])  # normalised: scale does not matter
    assert (codes[0] != codes[2]).sum() > 8


def _seed_global_generators(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _next_global_draws():
    """The next number from Python's, NumPy's and torch's global generators."""
    return random.random(), np.random.random(), torch.rand(1).item()


@pytest.mark.parametrize("name", _marked(list_methods()))
def test_fit_draws_only_from_generators_of_its_own(name, toy, tokens):
    """The caller's global generators are as they were after ``fit``, and do not change it."""
    _seed_global_generators(7)
    expected = _next_global_draws()
    _seed_global_generators(7)
    method, queries = _quick_fit(name, toy, tokens, random_state=3)
    assert _next_global_draws() == expected
    _seed_global_generators(8)
    again, _ = _quick_fit(name, toy, tokens, random_state=3)
    np.testing.assert_array_equal(again.encode_image(queries).packed,
                                  method.encode_image(queries).packed)


@pytest.mark.parametrize("name", _marked(["cca_itq", "random", "dadh", "mith"]))
def test_no_seed_draws_a_fresh_one_and_records_it(name, toy, tokens):
    first, queries = _quick_fit(name, toy, tokens, random_state=None)
    second, _ = _quick_fit(name, toy, tokens, random_state=None)
    assert first.random_state_ != second.random_state_  # equal with probability 2**-32
    assert (first.encode_image(queries).packed != second.encode_image(queries).packed).any()
    repeated, _ = _quick_fit(name, toy, tokens, random_state=first.random_state_)
    np.testing.assert_array_equal(repeated.encode_image(queries).packed,
                                  first.encode_image(queries).packed)
