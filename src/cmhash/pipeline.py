"""The main job: train a method on a dataset under a protocol, encode, evaluate, write a run folder.

A run is three steps, each a command that reads and writes the run folder and keeps the work
already done and valid, so each can be run again, or resumed, on its own; :func:`run`
(``cmhash run``) is the three in order:

1. :func:`train` (``cmhash train``): ``config.json`` (everything needed to repeat the run:
   method, parameters, dataset, protocol, seeds, split sizes, cmhash version), then per code
   length the trained model as a bundle ``model_<bits>/``, for deep methods ``train_<bits>/``
   (checkpoints and the per-epoch log), and last ``training_<bits>.json`` (training seconds,
   epochs, the selected epoch, the database codes' kind): a trained code length.  Training
   checkpoints are removed once a code length is trained, unless ``keep_checkpoints``.
2. :func:`write_codes` (``cmhash codes``): ``codes_<bits>.npz`` (query and database codes with
   labels, the items' ids and the digest of the bundle that made them) through each trained
   bundle; a codes file of the current bundle is kept.
3. :func:`~cmhash.run_evaluation.evaluate_run` (``cmhash evaluate RUN_DIR``):
   ``report_<bits>.json``, ``pr_<bits>.png``, ``p_at_k_<bits>.png`` and ``summary.json``.

Every file and bundle is written atomically, and the folder belongs to one run
(:mod:`cmhash.run_folder`).

Training goes one way: the configuration builds the method of each code length once; the inputs
that the method declares (:class:`~cmhash.inputs.InputSpec`) are built once for the whole
dataset by :func:`cmhash.inputs.resolve_inputs`; each method is fitted on them.  Writing the
codes builds the same inputs for the trained bundles, without what only ``fit`` uses (word
vectors, label texts).

Everything that can be checked is checked before work starts: the configuration's fields, the
method's parameters at every code length, the protocol, the encoder names, the optional
dependencies (matplotlib for the plots, torch and safetensors for the bundles) and the run folder
before any data is read; split sizes, labels, features and the bundles' input descriptions before
anything is written.

A bundle (:mod:`cmhash.bundle`) is the model on its own: weights, parameters (never the device),
the encoders of its features with their fingerprints, the BoW vocabulary, label names and a
fingerprint of the training pairs.  ``cmhash.load_model("RUN/model_64")`` loads it on any
machine (on the CPU unless told otherwise) and encodes raw texts and images without the
dataset; their features are computed as the feature cache computes them, so the run's own
items get the codes the run gave them.

Deep methods select their epoch on a validation split carved from the training pairs
(``validation_size`` pairs, by default 10 % of them, at most 2,000); the test queries are only
used for the final evaluation.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.codes import CodeSet, load_code_set, save_code_set
from cmhash.data import (
    PairedDataset,
    Split,
    carve_validation,
    check_protocol,
    load_dataset,
    make_split,
)
from cmhash.errors import InputError
from cmhash.inputs import RunInputs, check_feature_names, resolve_inputs
from cmhash.methods import FitContext, HashingMethod, create_method
from cmhash.metrics import count_queries_with_relevant, require_matplotlib
from cmhash.run_config import RunConfig, check_run_config
from cmhash.run_evaluation import evaluate_run
from cmhash.run_folder import CONFIG_FILE, RunFolder, claim_run_folder, read_run_config
from cmhash.utils.atomic import write_json
from cmhash.utils.lazy import import_module
from cmhash.version import __version__


def _without_invalid_pairs(split: Split, valid: np.ndarray) -> tuple[Split, int]:
    """The split without pairs whose features could not be computed (unreadable images)."""
    if valid.all():
        return split, 0
    keep = {name: getattr(split, name)[valid[getattr(split, name)]]
            for name in ("train", "query", "database")}
    return Split(**keep, protocol=split.protocol, seed=split.seed,
                 database_contains_train=split.database_contains_train), int((~valid).sum())


def _validation_size(config: RunConfig, method: HashingMethod, n_train: int) -> int:
    if not method.input_spec.validation:
        return 0
    if config.validation_size is not None:
        return config.validation_size
    return min(2000, n_train // 10)


def _checked_methods(config: RunConfig) -> dict[int, HashingMethod]:
    """The method of ``config`` at each code length, its parameters checked, and the protocol
    and feature names checked: all that can be checked without the data."""
    check_run_config(config)
    methods = {bits: create_method(config.method, bits=bits, random_state=config.seed,
                                   **config.params) for bits in config.bits}
    for method in methods.values():
        method.validate_params()
    check_protocol(config.protocol)
    check_feature_names(config.method, methods[config.bits[0]].input_form,
                        {"image": config.image_feature, "text": config.text_feature})
    return methods


def _check_labels(method: HashingMethod, labels: np.ndarray, split: Split,
                  fit_rows: np.ndarray) -> None:
    """Labels that make the run meaningful: some query has a relevant database item, and a
    supervised method's training rows have labels."""
    if not count_queries_with_relevant(labels[split.query], labels[split.database]):
        raise InputError(f"no query pair shares a label with any database pair under protocol "
                         f"{split.protocol!r}, so no metric would be defined; are the labels "
                         "all zero?")
    if method.input_spec.labels:
        method.check_training_labels(labels[fit_rows], len(fit_rows))


def run(config: RunConfig, out_dir: str | Path, data_root: str | Path | None = None,
        log: Any = print, *, overwrite: bool = False,
        keep_checkpoints: bool = False) -> dict[str, Any]:
    """Carry out ``config`` in the run folder ``out_dir``: :func:`train`, :func:`write_codes`,
    then :func:`~cmhash.run_evaluation.evaluate_run`; return the summary (also written to
    ``out_dir/summary.json``).  ``overwrite`` replaces another run found in ``out_dir``;
    ``keep_checkpoints`` keeps the training checkpoints of trained code lengths."""
    require_matplotlib()  # the plots come last: a missing extra fails before the work
    train(config, out_dir, data_root, log, overwrite=overwrite,
          keep_checkpoints=keep_checkpoints)
    write_codes(out_dir, data_root, log)
    return evaluate_run(out_dir, log)


def train(config: RunConfig, out_dir: str | Path, data_root: str | Path | None = None,
          log: Any = print, *, overwrite: bool = False, keep_checkpoints: bool = False) -> None:
    """Train every code length of ``config`` into the run folder ``out_dir``: a model bundle
    ``model_<bits>/`` and its training record ``training_<bits>.json`` each (see
    :mod:`cmhash.run_folder` for what happens to a folder holding a run)."""
    methods = _checked_methods(config)
    import_module("cmhash.bundle", "cmhash train")  # torch and safetensors: checked before work
    folder = claim_run_folder(out_dir, config, overwrite)
    with folder.removed_on_mistake():
        _train(config, methods, folder, data_root, log, keep_checkpoints)


def _read_pairs(config: RunConfig, method: HashingMethod, data_root: str | Path | None, *,
                for_fit: bool) -> tuple[PairedDataset, Split, np.ndarray, RunInputs, int]:
    """The dataset, its split without the pairs whose inputs could not be computed, the labels,
    the inputs ``method`` declares (:func:`~cmhash.inputs.resolve_inputs`; what only ``fit``
    uses, word vectors and label texts, if ``for_fit``), and the count of pairs dropped."""
    dataset = load_dataset(config.dataset, data_root)
    split = make_split(dataset, config.protocol, config.split_seed)
    labels = dataset.require_labels("evaluation")
    spec = (method.input_spec if for_fit
            else replace(method.input_spec, word_vectors=False, label_texts=False))
    inputs = resolve_inputs(spec, method.input_form, dataset,
                            {"image": config.image_feature, "text": config.text_feature},
                            config.cache_dir)
    split, dropped = _without_invalid_pairs(split, inputs.valid)
    return dataset, split, labels, inputs, dropped


def _train(config: RunConfig, methods: dict[int, HashingMethod], folder: RunFolder,
           data_root: str | Path | None, log: Any, keep_checkpoints: bool) -> None:
    # the bundle writer and the training loop need torch: imported with the first run, not with
    # the CLI (train checked that they can be)
    from cmhash.bundle import describe_input, save_model, training_record
    from cmhash.training import remove_checkpoints

    out_dir = folder.path
    first = methods[config.bits[0]]  # the inputs are the same at every code length
    dataset, split, labels, inputs, dropped = _read_pairs(config, first, data_root, for_fit=True)
    image, text = inputs.image, inputs.text
    n_validation = _validation_size(config, first, len(split.train))
    fit_rows, validation_rows = (carve_validation(split.train, n_validation, config.seed)
                                 if n_validation else (split.train, split.train[:0]))
    _check_labels(first, labels, split, fit_rows)
    bundle_inputs = {modality: describe_input(dataset, source)
                     for modality, source in inputs.sources.items()}
    training = training_record(dataset, config.dataset, split, fit_rows)
    folder.start({
        **asdict(config), "cmhash_version": __version__, "split": split.to_dict(),
        "validation": {"pairs": n_validation, "carved_from": "train", "seed": config.seed},
        "pairs_dropped_unreadable": dropped, "word_vectors": inputs.word_vector_source,
        "image_feature_shape": list(image.shape), "text_feature_shape": list(text.shape)})

    for bits, method in methods.items():
        if folder.resume and folder.training(bits) is not None:  # trained before a resume
            log(f"{bits} bits: trained before, kept")
            continue
        context = FitContext(
            validation=(image[validation_rows], text[validation_rows],
                        labels[validation_rows]) if n_validation else None,
            word_vectors=inputs.word_vectors, workdir=out_dir / f"train_{bits}",
            label_text=None if inputs.label_text is None else inputs.label_text[fit_rows],
            resume=folder.resume, progress=True)
        started = time.perf_counter()
        method.fit(image[fit_rows], text[fit_rows], labels[fit_rows], context)
        # a deep method's epochs (validation included) summed from its log, so that a run
        # resumed across sessions counts each epoch once; otherwise the wall time of fit
        history = getattr(method, "history_", None)
        train_seconds = sum(r["seconds"] for r in history) if history \
            else time.perf_counter() - started
        save_model(folder.model_path(bits), method, inputs=bundle_inputs,
                   label_names=dataset.label_names, training=training)
        write_json(folder.training_path(bits), {
            "bits": bits, "train_seconds": round(train_seconds, 3),
            "database_codes": getattr(method, "database", "standard"),
            "selected_epoch": getattr(method, "best_epoch_", None),
            "epochs_trained": len(getattr(method, "history_", []))})
        if not keep_checkpoints:
            remove_checkpoints(context.workdir)
        log(f"{bits} bits: trained in {train_seconds:.1f} s")


def write_codes(run_dir: str | Path, data_root: str | Path | None = None, log: Any = print, *,
                device: str | None = None, cache_dir: str | None = None) -> list[int]:
    """Encode the query and database pairs of the run folder ``run_dir`` through each trained
    model bundle into ``codes_<bits>.npz`` (with the items' ids and the bundle's digest);
    return the code lengths encoded.  A codes file already made by the current bundle is kept.
    ``device`` (default: the run's) and ``cache_dir`` (default: the run's) only say where."""
    from cmhash.bundle import HEADER_FILE, load_model  # needs torch, as training did

    config = read_run_config(run_dir)
    folder = RunFolder(Path(run_dir))
    trained = [bits for bits in config.bits if folder.training(bits) is not None]
    if not trained:
        older = any(folder.model_path(bits).is_dir() for bits in config.bits)
        raise InputError(f"run folder {run_dir} holds " + (
            "model bundles without training records (training_<bits>.json): a run folder of "
            "an older cmhash; train it again" if older else "no trained model yet (cmhash "
                                                            "train)"))
    digests = {bits: _bundle_digest(folder.model_path(bits) / HEADER_FILE) for bits in trained}
    todo = [bits for bits in trained if _codes_digest(folder.codes_path(bits)) != digests[bits]]
    if todo:
        config.cache_dir = cache_dir or config.cache_dir
        models = {bits: load_model(folder.model_path(bits),
                                   device or config.params.get("device")).hashing_method
                  for bits in todo}
        dataset, split, labels, inputs, _ = _read_pairs(config, models[todo[0]], data_root,
                                                        for_fit=False)
        image, text = inputs.image, inputs.text
        recorded = json.loads((folder.path / CONFIG_FILE).read_text())["split"]
        if split.to_dict() != recorded:
            raise InputError(f"{run_dir}: the dataset's split is {split.to_dict()} now, "
                             f"{recorded} when the run trained; has the data changed?")
        ids = np.asarray(dataset.ids, dtype=str)
        query, database = split.query, split.database
        for bits, method in models.items():
            database_image, database_text = method.database_codes(image[database],
                                                                   text[database])
            save_code_set(folder.codes_path(bits), CodeSet(
                labels[query], labels[database], method.encode_image(image[query]),
                method.encode_text(text[query]), database_image, database_text,
                ids[query], ids[database], digests[bits]))
    for bits in trained:
        log(f"{bits} bits: codes {'written' if bits in todo else 'up to date'}")
    return todo


def _bundle_digest(header_path: Path) -> str:
    """The digest a model bundle's header records (the bundle is checked in full when it is
    loaded to encode)."""
    try:
        return json.loads(header_path.read_text(encoding="utf-8"))["header_sha256"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise InputError(f"{header_path}: not a readable model bundle header ({e})") from None


def _codes_digest(path: Path) -> str | None:
    """The model digest a codes file records; None if it is absent, unreadable or has none."""
    try:
        return load_code_set(path).model_sha256 if path.is_file() else None
    except InputError:
        return None
