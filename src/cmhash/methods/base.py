"""The contract every hashing method follows (scikit-learn's estimator contract, outside).

``Method(bits=64, *, random_state=None, **hyper_parameters)`` only stores its arguments;
``fit(image, text, labels)`` learns and returns ``self``; ``encode_image`` / ``encode_text``
return packed :class:`~cmhash.codes.Codes`; learned state lives in attributes ending in ``_``.
``get_params`` / ``set_params`` / ``clone`` make a bit-length sweep
``clone(m).set_params(bits=b)``.  Each class declares its parameters' types and ranges in one
table, ``_parameter_constraints`` (name → list of accepted alternatives, as scikit-learn's; see
:func:`cmhash.utils.validation.check_value`); :meth:`HashingMethod.validate_params` checks them
at ``fit``, and ``cmhash run`` calls it before any work.  ``save(path)`` writes one ``.npz``
holding the parameters and the learned arrays; ``load_method(path)`` restores it.

Randomness.  ``random_state`` is an integer seed in [0, 2³²) or None, with one meaning for every
method (scikit-learn's): the same integer gives the same codes (on CPU; GPU kernels may differ
in the last bits), and None draws a fresh seed from the operating system, so two fits differ.
Either way ``fit`` records the seed it used in ``random_state_``;
``clone(m).set_params(random_state=m.random_state_)`` repeats a fit made with None.  ``fit``
draws only from generators of its own made from that seed (``np.random.default_rng``, a
``torch.Generator`` for batch order; network initialisation and dropout run on torch's global
generators inside :func:`~cmhash.training.seeding.seeded_rng`, which restores them afterwards),
so the caller's Python, NumPy and torch generators are the same after ``fit`` as before.
"""

from __future__ import annotations

import copy
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cmhash.codes import Codes
from cmhash.errors import InputError, NotFittedError
from cmhash.inputs import InputSpec
from cmhash.utils.atomic import write_atomic
from cmhash.utils.validation import (
    SEED_RANGE,
    CodeLength,
    Constraint,
    check_features,
    check_labels,
    check_value,
)

#: the constraint of a parameter: alternatives, one of which must accept the value
Constraints = list[Constraint | type | None]
#: every constructor parameter of a method → its constraint
ParameterTable = dict[str, Constraints]
#: a seed: None (a fresh one) or an integer in [0, 2³²)
SEED: Constraints = [SEED_RANGE, None]


def resolve_seed(random_state: int | None) -> int:
    """The seed of one fit: ``random_state``, or for None a fresh one drawn from the operating
    system's entropy (see the module docstring)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    return int(random_state)


@dataclass
class FitContext:
    """What ``fit`` may be given besides the training pairs.

    Attributes
    ----------
    validation : (image, text, labels) of validation queries carved from the training pairs,
        scored against the training pairs after every epoch to select the best epoch.
    word_vectors : (d_text, d_word) vectors of the text features' words (BoW columns).
    label_text : each training pair's label text in the form of the text inputs (MATH),
        row-aligned.
    workdir : folder for checkpoints and the training log.
    resume : continue from ``workdir``'s checkpoint.
    progress : show progress bars.
    """

    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    word_vectors: np.ndarray | None = None
    label_text: Any = None
    workdir: Path | None = None
    resume: bool = False
    progress: bool = False


class HashingMethod:
    """Base class of every method; subclasses implement ``_fit`` and ``_project``."""

    #: registry name
    name: ClassVar[str] = ""
    #: what the method takes as inputs (form, labels, validation split, word vectors, label
    #: texts): one declaration that the run and the bundle resolve (see :mod:`cmhash.inputs`)
    input_spec: ClassVar[InputSpec] = InputSpec()
    #: names of the learned ndarray attributes that ``save`` writes
    learned_arrays: ClassVar[tuple[str, ...]] = ()
    #: saved arrays that are statistics of the training features (normalisation), each with
    #: what it is; a model bundle lists them in its header
    normalisation: ClassVar[dict[str, str]] = {}
    #: file suffix of ``save``
    file_suffix: ClassVar[str] = ".npz"
    #: every constructor parameter → its accepted values (see :meth:`validate_params`)
    _parameter_constraints: ClassVar[ParameterTable] = {
        "bits": [CodeLength(8)],
        "random_state": SEED,
    }

    def __init__(self, bits: int = 64, *, random_state: int | None = None) -> None:
        self._store_params(locals())

    @property
    def input_form(self) -> str:
        """The form of the inputs that ``fit`` and ``encode_*`` take with these parameters:
        "global", "tokens" or "raw" (see :mod:`cmhash.inputs`)."""
        return self.input_spec.form_for(self.get_params())

    # -- parameters -------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p for p in signature.parameters if p != "self"]

    def _store_params(self, arguments: dict[str, Any]) -> None:
        """Keep each constructor argument unchanged as the attribute of its name, the
        scikit-learn convention that ``get_params`` reads back; ``arguments`` is ``locals()``
        taken as the constructor's first statement (its parameters and ``self``)."""
        for name, value in arguments.items():
            if name != "self":
                setattr(self, name, value)

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> HashingMethod:
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise InputError(f"{self.name}: unknown parameter {key!r}; "
                                 f"parameters: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def validate_params(self) -> None:
        """Raise an :class:`InputError` naming the first parameter outside its entry of
        ``_parameter_constraints``.  Checked at ``fit``; subclasses extend it with checks that
        relate parameters to each other."""
        for name, value in self.get_params().items():
            check_value(f"method {self.name!r}: parameter {name!r}", value,
                        self._parameter_constraints[name])

    # -- learning and encoding --------------------------------------------------------------
    def fit(self, image: np.ndarray, text: np.ndarray, labels: np.ndarray | None = None,
            context: FitContext | None = None) -> HashingMethod:
        """Learn from aligned training pairs.

        Parameters
        ----------
        image : ndarray of shape (n, d_image)
        text : ndarray of shape (n, d_text)
        labels : ndarray of shape (n, n_labels), multi-hot; required by supervised methods.
        context : validation split, word vectors, checkpoint folder (see :class:`FitContext`).
        """
        self.validate_params()
        image = self._check_input(image, "training image features")
        text = self._check_input(text, "training text features", len(image))
        if self.input_spec.labels:
            labels = self.check_training_labels(labels, len(image))
        self.random_state_ = resolve_seed(self.random_state)
        self._fit(image, text, labels, context or FitContext())
        self.is_fitted_ = True
        return self

    def check_training_labels(self, labels: np.ndarray | None, n_rows: int) -> np.ndarray:
        """The training labels of a supervised method: present, multi-hot, no all-zero row."""
        if labels is None:
            raise InputError(f"method {self.name!r} is supervised and needs labels")
        labels = check_labels(labels, "training labels", n_rows)
        empty = np.flatnonzero(labels.sum(axis=1) == 0)
        if len(empty):
            raise InputError(f"method {self.name!r}: training label row {empty[0]} is all "
                             f"zeros ({len(empty)} such rows)")
        return labels

    def _fit(self, image: np.ndarray, text: np.ndarray, labels: np.ndarray | None,
             context: FitContext) -> None:
        raise NotImplementedError

    def _project(self, x: np.ndarray, modality: str) -> np.ndarray:
        """Real-valued (n, bits) outputs whose signs are the codes."""
        raise NotImplementedError

    def _encode(self, x: np.ndarray, modality: str) -> Codes:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"method {self.name!r} must be fitted before encoding")
        x = self._check_input(x, f"{modality} features")
        return Codes.from_real(self._project(x, modality))

    def _check_input(self, x: Any, name: str, n_rows: int | None = None) -> Any:
        """Inputs to fit on or encode, checked (``n_rows`` of them if given): a finite 2-D
        feature matrix by default."""
        return check_features(x, name, n_rows)

    def encode_image(self, x: np.ndarray) -> Codes:
        """Codes of image feature rows (n, d_image)."""
        return self._encode(x, "image")

    def encode_text(self, x: np.ndarray) -> Codes:
        """Codes of text feature rows (n, d_text)."""
        return self._encode(x, "text")

    def database_codes(self, image: np.ndarray, text: np.ndarray) -> tuple[Codes, Codes]:
        """(image codes, text codes) of database pairs; each modality encoded on its own."""
        return self.encode_image(image), self.encode_text(text)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write parameters and learned arrays to one ``.npz`` file, atomically."""
        self._check_save(path)
        header = json.dumps({"method": self.name, "params": self.get_params(),
                             "random_state_": self.random_state_})
        arrays = {name: getattr(self, name) for name in self.learned_arrays}

        def write(tmp: Path) -> None:
            with tmp.open("wb") as f:
                np.savez(f, header=np.array(header), **arrays)

        return write_atomic(path, write)

    def restore_arrays(self, arrays: dict[str, np.ndarray], source: str | Path) -> None:
        """Set the learned arrays from saved ones (read from ``source``); the method is then
        fitted."""
        missing = set(self.learned_arrays) - set(arrays)
        if missing:
            raise InputError(f"{source}: saved method lacks array {sorted(missing)[0]!r}")
        for name in self.learned_arrays:
            setattr(self, name, arrays[name])
        self.is_fitted_ = True

    def _check_save(self, path: str | Path) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"method {self.name!r} must be fitted before saving")
        if Path(path).suffix != self.file_suffix:
            raise InputError(f"method {self.name!r} saves to a {self.file_suffix} file, "
                             f"got {path}")


def clone(method: HashingMethod) -> HashingMethod:
    """A new unfitted method with the same parameters."""
    return type(method)(**copy.deepcopy(method.get_params()))
