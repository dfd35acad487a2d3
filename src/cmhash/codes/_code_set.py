"""Query and database codes of both modalities with their labels, as the field saves them.

Keys (the names used by the DCMH / DADH / MITH line of code): ``q_img``, ``q_txt``, ``r_img``,
``r_txt`` (query / retrieval codes per modality) and ``q_l``, ``r_l`` (multi-hot labels).
Codes may be stored as ±1 (a 0 from ``sign(0)`` counts as +1), as {0, 1} bits, or packed LSB
first as uint8 with a scalar ``bits`` key beside them.  Files are ``.npz`` or ``.mat``
(SciPy's and h5py's readers are imported for ``.mat`` files only, so codes import light).

A file may also say where its rows come from: ``q_id`` and ``r_id`` (the items' ids in their
dataset, one string per row, so that a row can be traced to its image and text; in a ``.mat``
file a cell column, as MATLAB keeps a list of strings) and ``model_sha256`` (the
``header_sha256`` of the model bundle that made the codes).  Files without them (older run
folders, other code) read as before, with ``None`` there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmhash.codes._codes import Codes
from cmhash.errors import InputError
from cmhash.utils.atomic import write_atomic
from cmhash.utils.validation import check_bits, check_file, check_labels, read_npz

CODE_KEYS = ("q_img", "q_txt", "r_img", "r_txt")
LABEL_KEYS = ("q_l", "r_l")
PROVENANCE_KEYS = ("q_id", "r_id", "model_sha256")


@dataclass(frozen=True)
class CodeSet:
    """Codes of a query set and a database, per modality, with labels.

    A modality may be missing (``None``) when only one direction is evaluated.
    """

    query_labels: np.ndarray
    database_labels: np.ndarray
    query_image: Codes | None = None
    query_text: Codes | None = None
    database_image: Codes | None = None
    database_text: Codes | None = None
    query_ids: np.ndarray | None = None
    database_ids: np.ndarray | None = None
    model_sha256: str | None = None

    def codes(self, key: str) -> Codes | None:
        """Codes by their file key (``q_img`` …)."""
        return {
            "q_img": self.query_image, "q_txt": self.query_text,
            "r_img": self.database_image, "r_txt": self.database_text,
        }[key]


def _codes_from_array(array: np.ndarray, key: str, path: Path, bits: int | None) -> Codes:
    if array.ndim != 2:
        raise InputError(f"{path}: key {key!r} must be a 2-D code matrix, got shape {array.shape}")
    if bits is not None:
        if array.dtype != np.uint8:
            raise InputError(f"{path}: key {key!r} must be packed uint8 codes since 'bits' "
                             f"is given, got dtype {array.dtype}")
        return Codes(np.ascontiguousarray(array), check_bits(bits))
    if array.dtype.kind not in "biuf":
        raise InputError(f"{path}: key {key!r} holds {array.dtype} values, expected codes")
    values = set(np.unique(array).tolist())
    if values <= {0, 1}:
        signs = array.astype(np.int8) * 2 - 1
    elif values <= {-1, 0, 1}:
        signs = array
    else:
        shown = sorted(values)[:4]
        raise InputError(f"{path}: key {key!r} {array.shape} is not binary (values include "
                         f"{shown}); expected ±1, {{0,1}} or packed codes with a 'bits' key")
    try:
        check_bits(array.shape[1])
    except InputError as e:
        raise InputError(f"{path}: key {key!r} {array.shape}: {e}") from e
    return Codes.from_real(signs)


def load_code_set(path: str | Path) -> CodeSet:
    """Read a :class:`CodeSet` from ``.npz`` or ``.mat``."""
    path = check_file(path, "codes file")
    if path.suffix == ".npz":
        arrays = read_npz(path, "codes file")
        keys = list(arrays)
    elif path.suffix == ".mat":
        from cmhash.utils.matfile import MatFile

        mat = MatFile(path)
        keys = mat.keys
        arrays = {k: np.array(mat.strings(k)) if k in PROVENANCE_KEYS else mat.array(k)
                  for k in keys}
    else:
        raise InputError(f"{path}: codes file must end in .npz or .mat")
    for key in LABEL_KEYS:
        if key not in arrays:
            raise InputError(f"{path}: missing key {key!r} (keys: {', '.join(keys)})")
    if not any(k in arrays for k in CODE_KEYS):
        raise InputError(f"{path}: no code keys ({', '.join(CODE_KEYS)}) among {', '.join(keys)}")
    bits = int(np.ravel(arrays["bits"])[0]) if "bits" in arrays else None
    codes = {k: _codes_from_array(np.asarray(arrays[k]), k, path, bits)
             for k in CODE_KEYS if k in arrays}
    query_labels = check_labels(arrays["q_l"], f"{path}: q_l")
    database_labels = check_labels(arrays["r_l"], f"{path}: r_l")
    for key, value in codes.items():
        expected = len(query_labels) if key.startswith("q") else len(database_labels)
        if len(value) != expected:
            label_key = "q_l" if key.startswith("q") else "r_l"
            raise InputError(f"{path}: key {key!r} has {len(value)} rows but {label_key!r} "
                             f"has {expected}")
    lengths = {c.bits for c in codes.values()}
    if len(lengths) > 1:
        raise InputError(f"{path}: code lengths differ between keys: {sorted(lengths)}")
    ids = {key: _ids(arrays, key, rows, path) for key, rows in
           (("q_id", len(query_labels)), ("r_id", len(database_labels)))}
    model = str(np.ravel(arrays["model_sha256"])[0]) if "model_sha256" in arrays else None
    return CodeSet(query_labels, database_labels, codes.get("q_img"), codes.get("q_txt"),
                   codes.get("r_img"), codes.get("r_txt"), ids["q_id"], ids["r_id"], model)


def _ids(arrays: dict[str, np.ndarray], key: str, rows: int, path: Path) -> np.ndarray | None:
    """The item ids under ``key``, if the file has them: one string per row."""
    if key not in arrays:
        return None
    ids = np.asarray(arrays[key])
    if ids.dtype.kind != "U" or ids.shape != (rows,):
        raise InputError(f"{path}: key {key!r} must hold one id string per row ({rows}), got "
                         f"{ids.dtype} of shape {ids.shape}")
    return ids


def save_code_set(path: str | Path, code_set: CodeSet) -> Path:
    """Write atomically: ``.npz`` holds packed codes + ``bits``, ``.mat`` ±1 int8 codes; both
    the labels, and the ids and model digest the code set has."""
    path = Path(path)
    present = {k: code_set.codes(k) for k in CODE_KEYS if code_set.codes(k) is not None}
    arrays: dict[str, np.ndarray] = {"q_l": code_set.query_labels, "r_l": code_set.database_labels}
    values = (code_set.query_ids, code_set.database_ids, code_set.model_sha256)
    provenance = {k: v for k, v in zip(PROVENANCE_KEYS, values, strict=True) if v is not None}
    if path.suffix == ".npz":
        arrays |= {k: c.packed for k, c in present.items()}
        arrays["bits"] = np.array(next(iter(present.values())).bits)
        arrays |= {k: np.asarray(v, dtype=str) for k, v in provenance.items()}

        def write(tmp: Path) -> None:
            with tmp.open("wb") as f:
                np.savez_compressed(f, **arrays)
    elif path.suffix == ".mat":
        import scipy.io

        arrays |= {k: c.to_signs() for k, c in present.items()}
        arrays |= {k: np.array(list(map(str, np.ravel(v))), dtype=object).reshape(-1, 1)
                   for k, v in provenance.items()}  # cell columns

        def write(tmp: Path) -> None:
            with tmp.open("wb") as f:
                scipy.io.savemat(f, arrays)
    else:
        raise InputError(f"{path}: codes file must end in .npz or .mat")
    return write_atomic(path, write)
