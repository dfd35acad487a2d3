"""Fingerprints of short fits of every registered method, to show that a refactoring leaves
training unchanged bit for bit (CPU).

``write OUT.npz`` fits each registered method (and MITH once more with ``precision=bfloat16``)
for two epochs (HMAH: two per phase) at 16 bits on small synthetic data with seed 0, tiny
widths, a validation split and a checkpoint folder, and stores for each fit: the image and text
codes of 30 held-out items, every tensor of the kept model state (parameters and BatchNorm
statistics) and the logged mean loss terms.  ``compare A.npz B.npz`` prints every entry that is
not identical and exits 1 if there is one.  To compare a refactoring with the code before it:

    PYTHONPATH=<old checkout>/src python -m benchmarks.studies.fit_fingerprint write old.npz
    PYTHONPATH=src python -m benchmarks.studies.fit_fingerprint write new.npz
    python -m benchmarks.studies.fit_fingerprint compare old.npz new.npz

The script uses the method API of its own commit; for code older than the inputs' declaration
(``input_spec``, ``Features``), write ``old.npz`` with the script of that code's commit.

Data: 120 pairs of :mod:`cmhash.data.synthetic` — ``labelled_pairs`` (4 classes; 10-d image,
12-d binary text features) for methods on global features, ``token_pairs`` (3 classes; 6 image
tokens of width 16, 5 text tokens of width 8) for token methods — 60 to train, 30 to validate,
30 to encode.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

#: tiny widths and two epochs; every method trains in seconds on one core
SETTINGS: dict[str, dict[str, Any]] = {
    "cca_itq": {"n_anchors": 40},
    "ridge_hash": {"n_anchors": 40},
    "random": {},
    "hmah": {"teacher_epochs": 2, "student_epochs": 2, "batch_size": 25},
    "dadh": {"hidden": 32, "epochs": 2, "batch_size": 25},
    "agah": {"hidden": 32, "embedding": 16, "epochs": 2, "batch_size": 25},
    "mith": {"epochs": 2, "batch_size": 25},
    "math": {"epochs": 2, "batch_size": 25},
}
#: further variants: name → (method, settings)
VARIANTS = {"mith_bf16": ("mith", {**SETTINGS["mith"], "precision": "bfloat16"})}


def _flatten(prefix: str, state: Any, out: dict[str, np.ndarray]) -> None:
    if isinstance(state, torch.Tensor):
        out[prefix] = state.detach().cpu().numpy()
    elif isinstance(state, dict):
        for key, value in state.items():
            _flatten(f"{prefix}/{key}", value, out)


def fingerprint(name: str, method_name: str, settings: dict[str, Any], data: dict[str, tuple],
                workdir: Path) -> dict[str, np.ndarray]:
    """Codes, kept model state and logged losses of one short fit."""
    from cmhash.methods import FitContext, create_method

    method = create_method(method_name, bits=16, random_state=0, **settings)
    image, text, labels = data[method.input_form]
    train, validation, query = np.arange(60), np.arange(60, 90), np.arange(90, 120)
    context = FitContext(validation=(image[validation], text[validation], labels[validation]),
                         label_text=text[train[::-1]] if method.input_spec.label_texts else None,
                         workdir=workdir / name)
    method.fit(image[train], text[train], labels[train], context)
    out = {f"{name}/codes/image": method.encode_image(image[query]).packed,
           f"{name}/codes/text": method.encode_text(text[query]).packed}
    if hasattr(method, "model_state"):
        _flatten(f"{name}/model", method.model_state(), out)
        losses = [v for r in method.history_ for _, v in sorted(r["losses"].items())]
        out[f"{name}/losses"] = np.array(losses, dtype=np.float64)
    for array in getattr(method, "learned_arrays", ()):
        out[f"{name}/learned/{array}"] = np.asarray(getattr(method, array))
    return out


def write(path: Path) -> None:
    torch.set_num_threads(1)
    from cmhash.data.synthetic import labelled_pairs, token_pairs

    data = {"global": labelled_pairs(120), "tokens": token_pairs(120)}  # by input form
    runs = {**{m: (m, s) for m, s in SETTINGS.items()}, **VARIANTS}
    out: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (method_name, settings) in runs.items():
            out |= fingerprint(name, method_name, settings, data, Path(tmp))
            print(f"{name}: fitted", flush=True)
    np.savez(path, **out)


def compare(a: Path, b: Path) -> int:
    left, right = np.load(a), np.load(b)
    differences = [f"only in {a}: {k}" for k in sorted(set(left) - set(right))]
    differences += [f"only in {b}: {k}" for k in sorted(set(right) - set(left))]
    for key in sorted(set(left) & set(right)):
        if left[key].shape != right[key].shape or not np.array_equal(left[key], right[key],
                                                                       equal_nan=True):
            differences.append(f"differs: {key}")
    print("\n".join(differences) or f"identical: {len(left)} arrays")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write").add_argument("out", type=Path)
    both = commands.add_parser("compare")
    both.add_argument("a", type=Path)
    both.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.out)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
