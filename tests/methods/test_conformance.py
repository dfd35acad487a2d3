"""The conformance suite: every registered method through the same checks.

Each method fits once on tiny data of its input form (40 training pairs, 16 bits, two epochs of
two batches for the deep ones); then its codes' type and shape, a save → load round trip, a
batch of one, the checks of the shared ``fit`` and, for the deep methods, a run killed and
resumed from its checkpoint against an uninterrupted one.
"""

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.encoders import Features
from cmhash.errors import InputError, NotFittedError
from cmhash.methods import METHODS, FitContext, clone, create_method, list_methods, load_method
from tests.helpers import labelled_pairs, token_pairs

#: tiny settings: every method fits in seconds
SETTINGS = {
    "cca_itq": {"n_anchors": 30},
    "ridge_hash": {"n_anchors": 30},
    "random": {},
    "hmah": {"teacher_epochs": 2, "student_epochs": 2, "batch_size": 20},
    "dadh": {"hidden": 32, "epochs": 2, "batch_size": 20},
    "agah": {"hidden": 32, "embedding": 16, "epochs": 2, "batch_size": 20},
    "mith": {"epochs": 2, "batch_size": 20},
    "math": {"epochs": 2, "batch_size": 20},
}
#: the code of an item depends on the items encoded with it: AGAH normalises features over the
#: encoding batch, as its authors' test loader (``feature_norm="row"`` does not); random codes
#: are drawn per call, whatever the inputs
BATCH_DEPENDENT = {"agah", "random"}
DEEP = [m for m in list_methods() if METHODS[m].file_suffix == ".pt"]
#: methods whose fits take several seconds (minutes on a loaded 2-core machine)
SLOW = {"hmah", "mith", "math"}
TRAIN, QUERIES = np.arange(40), np.arange(40, 60)


def _marked(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def _data(name):
    """(image, text, labels) of 60 pairs of the method's input form."""
    if METHODS[name]().input_form == "tokens":
        return token_pairs(60)
    return labelled_pairs(60)


def _fit(name, rows=TRAIN, context=None, prepare=None):
    """``name`` fitted with seed 3 on ``rows`` (MATH's label texts: the captions reversed),
    after ``prepare(method)`` if given."""
    image, text, labels = _data(name)
    method = create_method(name, bits=16, random_state=3, **SETTINGS[name])
    if prepare is not None:
        prepare(method)
    context = context or FitContext()
    if method.input_spec.label_texts:
        context.label_text = text[rows[::-1]]
    return method.fit(image[rows], text[rows], labels[rows], context)


@pytest.fixture(scope="module")
def fitted():
    """Each method fitted once, on first use."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _fit(name)
        return cache[name]

    return get


def test_every_registered_method_has_settings():
    assert set(SETTINGS) == set(list_methods())


@pytest.mark.parametrize("name", _marked(list_methods()))
def test_codes_are_packed_bits_of_every_query(name, fitted):
    method = fitted(name)
    image, text, _ = _data(name)
    for codes in (method.encode_image(image[QUERIES]), method.encode_text(text[QUERIES]),
                  *method.database_codes(image[QUERIES], text[QUERIES])):
        assert isinstance(codes, Codes) and codes.bits == 16
        assert codes.packed.shape == (20, 2) and codes.packed.dtype == np.uint8


@pytest.mark.parametrize("name", _marked(list_methods()))
def test_save_then_load_gives_the_same_codes(name, fitted, tmp_path):
    method = fitted(name)
    image, text, _ = _data(name)
    restored = load_method(method.save(tmp_path / f"model{method.file_suffix}"))
    assert restored.random_state_ == method.random_state_ == 3
    assert restored.get_params() == method.get_params()
    np.testing.assert_array_equal(restored.encode_image(image[QUERIES]).packed,
                                  method.encode_image(image[QUERIES]).packed)
    np.testing.assert_array_equal(restored.encode_text(text[QUERIES]).packed,
                                  method.encode_text(text[QUERIES]).packed)
    assert clone(method).set_params(bits=32).get_params()["bits"] == 32


@pytest.mark.parametrize("name", _marked(list_methods()))
def test_a_batch_of_one_is_encoded(name, fitted):
    method = fitted(name)
    image, text, _ = _data(name)
    for encode, x in ((method.encode_image, image), (method.encode_text, text)):
        one = encode(x[np.array([45])])
        assert one.packed.shape == (1, 2)
        if name not in BATCH_DEPENDENT:
            np.testing.assert_array_equal(one.packed[0], encode(x[QUERIES]).packed[5])


@pytest.mark.parametrize("name", _marked(list_methods()))
def test_a_last_training_batch_of_one_trains_or_is_refused_in_one_line(name):
    rows = np.arange(41)  # batches of 20, 20 and 1
    if getattr(METHODS[name], "min_batch_rows", 1) > 1:
        with pytest.raises(InputError, match=f"method '{name}': 41 training pairs in batches "
                                             "of 20 leave a batch of 1 pair, which BatchNorm"):
            _fit(name, rows)
    else:
        assert _fit(name, rows).encode_image(_data(name)[0][QUERIES]).packed.shape == (20, 2)


def _other_width(x):
    """Inputs like ``x`` (3 items) with one more column or token channel."""
    if isinstance(x, Features):
        tokens = np.zeros((3, *x.tokens.shape[1:-1], x.tokens.shape[-1] + 1), np.float32)
        return Features(tokens.mean(axis=1), tokens)
    return np.zeros((3, x.shape[1] + 1))


@pytest.mark.parametrize("name", list_methods())
def test_bad_input_is_an_input_error(name):
    image, text, labels = _data(name)
    method = create_method(name, bits=16, **SETTINGS[name])
    with pytest.raises(NotFittedError):
        method.encode_image(image[QUERIES])
    context = FitContext(label_text=text[TRAIN] if method.input_spec.label_texts else None)
    with pytest.raises(InputError, match="has 30 rows, expected 40"):
        method.fit(image[TRAIN], text[np.arange(30)], labels[TRAIN], context)
    if method.input_spec.labels:
        with pytest.raises(InputError, match="supervised and needs labels"):
            method.fit(image[TRAIN], text[TRAIN], None, context)
        empty = labels[TRAIN].copy()
        empty[7] = 0
        with pytest.raises(InputError, match="training label row 7 is all zeros"):
            method.fit(image[TRAIN], text[TRAIN], empty, context)


@pytest.mark.parametrize("name", _marked(m for m in list_methods() if m != "random"))
def test_inputs_of_another_width_are_an_input_error(name, fitted):
    """(Random codes ignore their inputs.)"""
    image, text, _ = _data(name)
    for encode, x in ((fitted(name).encode_image, image), (fitted(name).encode_text, text)):
        with pytest.raises(InputError, match="the model was fitted on"):
            encode(_other_width(x))


class Killed(Exception):
    pass


@pytest.mark.parametrize("name", _marked(DEEP))
def test_a_run_killed_and_resumed_ends_as_an_uninterrupted_one(name, tmp_path):
    """Killed in the second epoch of its last phase (the step after three checkpoints for
    HMAH), resumed: the same losses, log and codes."""
    image, text, labels = _data(name)
    validation = (image[QUERIES], text[QUERIES], labels[QUERIES])

    def kill(after):
        """Make a method's steps raise after ``after`` of them."""
        steps = {"n": 0}

        def prepare(method):
            for phase_step in ("_step", "_teacher_step", "_student_step"):
                if hasattr(method, phase_step):
                    original = getattr(method, phase_step)

                    def counted(state, rows, original=original):
                        steps["n"] += 1
                        if steps["n"] > after:
                            raise Killed
                        return original(state, rows)

                    setattr(method, phase_step, counted)

        return prepare

    def run(workdir, resume=False, prepare=None):
        context = FitContext(validation=validation, workdir=workdir, resume=resume)
        return _fit(name, context=context, prepare=prepare)

    clean = run(tmp_path / "clean")
    with pytest.raises(Killed):
        run(tmp_path / "killed", prepare=kill(7 if name == "hmah" else 3))
    resumed = run(tmp_path / "killed", resume=True)
    assert [r["losses"] for r in resumed.history_] == [r["losses"] for r in clean.history_]
    assert len((tmp_path / "killed" / "train_log.jsonl").read_text().splitlines()) == len(
        clean.history_)
    np.testing.assert_array_equal(resumed.encode_image(image[QUERIES]).packed,
                                  clean.encode_image(image[QUERIES]).packed)
    np.testing.assert_array_equal(resumed.encode_text(text[QUERIES]).packed,
                                  clean.encode_text(text[QUERIES]).packed)
