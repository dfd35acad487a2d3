"""Model bundles: a trained model as one self-describing folder, usable on any machine.

``cmhash run`` writes one bundle per code length, ``model_<bits>/``::

    model.json            the header (JSON)
    weights.safetensors   the learned tensors: networks, buffers, learned arrays

The header holds ``format`` / ``format_version``, ``cmhash_version``, ``method``, ``bits``,
``params`` (the method's parameters, never the device), ``state`` (facts the method needs to
rebuild itself, e.g. a deep method's input widths), ``label_names``, ``inputs`` (per modality,
the encoder with its options and fingerprint, and the BoW vocabulary — see
:mod:`cmhash.bundle._inputs`), ``normalisation`` (the saved tensors that are statistics of
the training features, with what each is), ``training`` (dataset, split and a fingerprint of
the training pairs), ``files`` (size and SHA-256 of the weights) and ``header_sha256``.

``load_model(path, device="cpu")`` checks all of it (one error line naming the file for a
missing, truncated or changed file or another format version), rebuilds the method on the
device chosen then, and returns a :class:`TrainedModel` whose ``encode_texts`` /
``encode_images`` turn raw inputs into packed codes without the dataset.
"""

from cmhash.bundle._files import FORMAT_VERSION, HEADER_FILE, WEIGHTS_FILE
from cmhash.bundle._inputs import describe_input
from cmhash.bundle._model import TrainedModel, load_model, save_model, training_record

__all__ = [
    "FORMAT_VERSION",
    "HEADER_FILE",
    "WEIGHTS_FILE",
    "TrainedModel",
    "describe_input",
    "load_model",
    "save_model",
    "training_record",
]
