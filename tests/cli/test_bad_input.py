"""A catalogue of bad input: each case exits with status 2, prints exactly one line on stderr
(naming the file, key or value at fault) and writes nothing.

Every case runs against the same small files (a tiny ``triplet:`` dataset, codes files, folder
datasets, configuration files, a finished run folder) in one folder, which is compared before
and after the case: no file or folder may appear, change or disappear, the feature cache and
the default ``runs/`` included (the working directory is that folder too).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from cmhash.cli.main import main
from tests.helpers import write_triplet

TRIPLET = "triplet:{d}/pairs.mat"
RUN = ["run", "--method", "ridge_hash", "--dataset", TRIPLET, "--protocol", "presplit",
       "--bits", "16", "--set", "n_anchors=20", "--cache-dir", "{d}/cache"]
DEEP = ["run", "--method", "dadh", "--dataset", TRIPLET, "--protocol", "presplit",
        "--bits", "16", "--set", "hidden=32", "--out", "{d}/new"]
CONFIG = ["run", "--out", "{d}/new", "--config"]


def _codes(path: Path, q_labels=None, bits: int = 16, **replace) -> None:
    rng = np.random.default_rng(0)
    arrays = {key: rng.choice([-1, 1], size=(rows, bits))
              for key, rows in (("q_img", 3), ("q_txt", 3), ("r_img", 5), ("r_txt", 5))}
    arrays |= {"q_l": np.eye(2)[[0, 1, 0]] if q_labels is None else q_labels,
               "r_l": np.eye(2)[[0, 1, 1, 0, 1]]}
    arrays |= replace
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})


def _folder_csv(folder: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    folder.mkdir()
    with (folder / "pairs.csv").open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    """The folder holding every input of the catalogue."""
    d = tmp_path_factory.mktemp("bad_input")
    write_triplet(d / "pairs.mat")
    write_triplet(d / "unlabelled.mat", zero_label_rows=slice(None))
    write_triplet(d / "some_unlabelled.mat", zero_label_rows=slice(3, 5))
    _codes(d / "codes.npz")
    _codes(d / "zero_labels.npz", q_labels=np.zeros((3, 2)))
    _codes(d / "not_binary.npz", q_img=np.arange(48).reshape(3, 16) % 4)
    _codes(d / "twelve_bits.npz", bits=12)
    _codes(d / "no_q_l.npz", q_l=None)
    _codes(d / "rows.npz", q_l=np.eye(2)[[0, 1]])
    _codes(d / "one_way.npz", q_txt=None)
    (d / "empty.npz").write_bytes(b"")
    (d / "truncated.npz").write_bytes((d / "codes.npz").read_bytes()[:200])
    np.save(d / "array.npy", np.ones(3))
    (d / "array.npy").rename(d / "array.npz")
    (d / "codes.txt").write_text("q_img\n")
    (d / "plain.txt").write_text("a file, not a folder\n")
    header = ["image", "text", "labels"]
    _folder_csv(d / "photos", [header, ["a.jpg", "a red car", "car"], ["b.jpg", "sky", "sky"]])
    _folder_csv(d / "latin1", [header, ["a.jpg", "café au lait", "food"]], "latin-1")
    _folder_csv(d / "no_text", [["image", "labels"], ["a.jpg", "car"]])
    (d / "jsonl").mkdir()
    (d / "jsonl" / "pairs.jsonl").write_text('{"image": "a.jpg", "text": "x"}\n{"image": 3}\n')
    (d / "sidecar").mkdir()
    (d / "sidecar" / "a.jpg").write_bytes(b"")
    (d / "notes").mkdir()
    (d / "notes" / "todo.txt").write_text("mine\n")
    configs = {
        "syntax": 'method = "ridge_hash\n',
        "seed": 'method = "ridge_hash"\ndataset = "x"\nprotocol = "presplit"\nseed = "zero"\n',
        "validation": 'method = "dadh"\ndataset = "x"\nprotocol = "presplit"\n'
                      'validation_size = "10"\n',
        "key": 'method = "ridge_hash"\ndataset = "x"\nprotocl = "presplit"\n',
        "param": 'method = "ridge_hash"\ndataset = "x"\nprotocol = "presplit"\n\n[params]\n'
                 'ridge = "abc"\n',
        "bits": 'method = "ridge_hash"\ndataset = "x"\nprotocol = "presplit"\nbits = [16, 12]\n',
        "directions": 'method = "ridge_hash"\ndataset = "x"\nprotocol = "presplit"\n'
                      'directions = ["x2y"]\n',
        "metrics": 'method = "ridge_hash"\ndataset = "x"\nprotocol = "presplit"\n'
                   'metrics = "map"\n',
    }
    for name, text in configs.items():
        (d / f"{name}.toml").write_text(text)
    (d / "latin1.toml").write_bytes('method = "café"\n'.encode("latin-1"))
    for name, text in (("future", '{"schema_version": 99, "rows": []}'), ("broken", "{")):
        (d / name).mkdir()
        (d / name / "summary.json").write_text(text)
    locked = d / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    assert main([*_filled(RUN, d), "--out", str(d / "run")]) == 0  # a finished run folder
    (d / "untrained").mkdir()  # a run folder whose training has not finished a code length
    (d / "untrained" / "config.json").write_bytes((d / "run" / "config.json").read_bytes())
    shutil.copytree(d / "run", d / "badmodel")
    (d / "badmodel" / "model_16" / "model.json").write_text("{")
    shutil.copytree(d / "run", d / "older")  # a run folder written before training records
    (d / "older" / "training_16.json").unlink()
    (d / "badrun").mkdir()
    (d / "badrun" / "config.json").write_text("{")
    return d


def _filled(argv: list[str], d: Path) -> list[str]:
    return [a.replace("{d}", str(d)) for a in argv]


def _tree(d: Path) -> dict[str, tuple]:
    """Every path under ``d`` with its kind, size and modification time."""
    return {str(p.relative_to(d)): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(d.rglob("*"))}


CASES = {
    # -- evaluate ----------------------------------------------------------------------------
    "evaluate: missing codes file": (["evaluate", "{d}/none.npz"], "codes file not found"),
    "evaluate: empty .npz": (["evaluate", "{d}/empty.npz"], "not a readable .npz file"),
    "evaluate: truncated .npz": (["evaluate", "{d}/truncated.npz"], "not a readable .npz file"),
    "evaluate: an .npy named .npz": (["evaluate", "{d}/array.npz"], "one .npy array"),
    "evaluate: another suffix": (["evaluate", "{d}/codes.txt"], "must end in .npz or .mat"),
    "evaluate: codes not binary": (["evaluate", "{d}/not_binary.npz"], "is not binary"),
    "evaluate: 12-bit codes": (["evaluate", "{d}/twelve_bits.npz"], "multiple of 8, got 12"),
    "evaluate: no query labels": (["evaluate", "{d}/no_q_l.npz"], "missing key 'q_l'"),
    "evaluate: rows differ": (["evaluate", "{d}/rows.npz"], "has 3 rows but 'q_l' has 2"),
    "evaluate: all-zero labels": (["evaluate", "{d}/zero_labels.npz"],
                                  "zero_labels.npz: no query shares a label"),
    "evaluate: unknown metric": (["evaluate", "{d}/codes.npz", "--metrics", "mAP"],
                                 "unknown metric 'mAP'"),
    "evaluate: map@0": (["evaluate", "{d}/codes.npz", "--metrics", "map@0"],
                        "unknown metric 'map@0'"),
    "evaluate: unknown direction": (["evaluate", "{d}/codes.npz", "--directions", "x2y"],
                                    "argument --directions: invalid choice: 'x2y'"),
    "evaluate: --out is a file": (["evaluate", "{d}/codes.npz", "--out", "{d}/plain.txt"],
                                  "plain.txt exists and is not a folder"),
    "evaluate: missing modality": (["evaluate", "{d}/one_way.npz"],
                                   "direction t2i needs codes 'q_txt'"),
    # -- run: names and values ---------------------------------------------------------------
    "run: unknown method": ([*RUN, "--method", "dcmh"], "unknown method 'dcmh'"),
    "run: unknown protocol": ([*RUN, "--protocol", "mirflick"], "unknown protocol 'mirflick'"),
    "run: malformed random protocol": ([*RUN, "--protocol", "random:query=0,train=5"],
                                       "expected random:query=Q,train=T"),
    "run: random protocol too large": ([*RUN, "--protocol", "random:query=80,train=20"],
                                       "needs 80 query + 20 train pairs, but the dataset has 90"),
    "run: random fraction of no pair": ([*RUN, "--protocol", "random:query=0.001,train=0.5"],
                                        "query=0.001 of 90 pairs is no pair"),
    "run: 12 bits": ([*RUN, "--bits", "12"], "multiple of 8, got [12]"),
    "run: bits abc": ([*RUN, "--bits", "abc"], "argument --bits: invalid int value: 'abc'"),
    "run: bits twice": ([*RUN, "--bits", "16", "16"], "'bits' must be a non-empty list of "
                                                      "distinct items"),
    "run: --set ridge=-1": ([*RUN, "--set", "ridge=-1"], "'ridge' must be a number > 0, got -1"),
    "run: --set ridge=abc": ([*RUN, "--set", "ridge=abc"], "'ridge' must be a number > 0, got "
                                                           "'abc'"),
    "run: --set n_anchors below bits": ([*RUN, "--set", "n_anchors=8"],
                                        "'n_anchors' must be at least bits (16), got 8"),
    "run: --set epochs=0": ([*DEEP, "--set", "epochs=0"], "'epochs' must be an integer ≥ 1"),
    "run: --set epochs=abc": ([*DEEP, "--set", "epochs=abc"], "'epochs' must be an integer ≥ 1, "
                                                              "got 'abc'"),
    "run: --set unknown parameter": ([*RUN, "--set", "ridgee=1"], "no parameter 'ridgee'"),
    "run: --set without a value": ([*RUN, "--set", "ridge"], "--set expects KEY=VALUE"),
    "run: --set bits": ([*RUN, "--set", "bits=32"], "'params' may not set 'bits'; it comes "
                                                    "from 'bits'"),
    "run: --device cuda without CUDA": pytest.param(
        [*DEEP, "--device", "cuda"], "'device' must be 'cpu' or an accelerator",
        marks=pytest.mark.skipif(
            __import__("torch").cuda.is_available(), reason="this machine has CUDA")),
    "run: invalid device name": ([*DEEP, "--device", "gpu0"], "got 'gpu0'"),
    "run: --device for a shallow method": ([*RUN, "--device", "cpu"], "no parameter 'device'"),
    "run: unknown metric": ([*RUN, "--metrics", "map", "precision"],
                            "unknown metric 'precision'"),
    "run: negative seed": ([*RUN, "--seed", "-1"],
                           "'seed' must be an integer in [0, 4294967296), got -1"),
    "run: seed 2**32": ([*RUN, "--seed", "4294967296"], "'seed' must be an integer in [0, "),
    "run: negative split seed": ([*RUN, "--split-seed", "-1"], "'split_seed' must be"),
    "run: negative validation size": ([*DEEP, "--validation-size", "-1"],
                                      "'validation_size' must be an integer ≥ 0 or None"),
    "run: validation size too large": ([*DEEP, "--validation-size", "100"],
                                       "validation size must be between 1 and 39, got 100"),
    "run: --threads 0": ([*RUN, "--threads", "0"], "expected a whole number ≥ 1, got '0'"),
    # -- run: data and features ----------------------------------------------------------------
    "run: unknown image feature": ([*RUN, "--image-feature", "resnet"],
                                   "no image feature 'resnet' among its stored image features "
                                   "(feature); name one with --image-feature, or an encoder: "
                                   "efficientnet_lite0, clip_image"),
    "run: text encoder for images": ([*RUN, "--image-feature", "minilm"],
                                     "encoder 'minilm' encodes text, not image"),
    "run: image encoder for texts": ([*RUN, "--text-feature", "efficientnet_lite0"],
                                     "encoder 'efficientnet_lite0' encodes image, not text"),
    "run: token method without a text encoder": (
        ["run", "--method", "mith", "--dataset", TRIPLET, "--protocol", "presplit",
         "--image-feature", "efficientnet_lite0", "--out", "{d}/new"],
        "method 'mith' needs token features: name an encoder with --text-feature"),
    "run: all-zero labels": ([*RUN, "--dataset", "triplet:{d}/unlabelled.mat", "--method",
                              "cca_itq"], "no query pair shares a label with any database pair"),
    "run: unlabelled training pairs": ([*RUN, "--dataset", "triplet:{d}/some_unlabelled.mat"],
                                       "training label row 3 is all zeros (2 such rows)"),
    "run: missing dataset file": ([*RUN, "--dataset", "triplet:{d}/nowhere.mat"],
                                  "feature file or folder not found: {d}/nowhere.mat"),
    "run: unknown dataset": ([*RUN, "--dataset", "flickr"], "unknown dataset 'flickr'"),
    "run: data root missing": ([*RUN, "--dataset", "wiki", "--data-root", "{d}/nowhere"],
                               "data root {d}/nowhere not found"),
    "run: folder dataset is a file": ([*RUN, "--dataset", "folder:{d}/plain.txt"],
                                      "plain.txt is a file, not a folder"),
    # -- run: the run folder -------------------------------------------------------------------
    "run: --out is a file": ([*RUN, "--out", "{d}/plain.txt"],
                             "plain.txt exists and is not a folder"),
    "run: --out inside a file": ([*RUN, "--out", "{d}/plain.txt/run"],
                                 "plain.txt is not a folder"),
    "run: --out in a read-only folder": pytest.param(
        [*RUN, "--out", "{d}/locked/run"], "locked is not writable",
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")),
    "run: --out where no folder can be made": pytest.param(
        [*RUN, "--out", "/sys/cmhash-run"], "/sys/cmhash-run",
        marks=pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="no /sys")),
    "run: another method in a run folder": ([*RUN, "--method", "cca_itq", "--out", "{d}/run"],
                                            "holds another run ('method' is \"ridge_hash\" "
                                            "there, \"cca_itq\" here)"),
    "run: other bits in a run folder": ([*RUN, "--bits", "8", "16", "--out", "{d}/run"],
                                        "'bits' is [16] there, [8, 16] here"),
    "run: other parameters in a run folder": ([*RUN, "--set", "n_anchors=30", "--out",
                                               "{d}/run"], "'params.n_anchors' is 20 there"),
    "run: resume with other parameters": ([*RUN, "--set", "ridge=0.5", "--out", "{d}/run",
                                           "--resume"], "cannot resume: run folder"),
    "run: a folder of other files": ([*RUN, "--out", "{d}/notes", "--overwrite"],
                                     "holds files but no config.json"),
    # -- configuration files -------------------------------------------------------------------
    "config: missing file": ([*CONFIG, "{d}/none.toml"], "none.toml not found"),
    "config: TOML syntax": ([*CONFIG, "{d}/syntax.toml"], "not a valid TOML file"),
    "config: not UTF-8": ([*CONFIG, "{d}/latin1.toml"], "not a valid TOML file"),
    "config: seed = \"zero\"": ([*CONFIG, "{d}/seed.toml"],
                                "seed.toml: 'seed' must be an integer in [0, 4294967296), "
                                "got 'zero'"),
    "config: validation_size = \"10\"": ([*CONFIG, "{d}/validation.toml"],
                                         "'validation_size' must be an integer ≥ 0 or None, "
                                         "got '10'"),
    "config: unknown key": ([*CONFIG, "{d}/key.toml"], "unknown key 'protocl'"),
    "config: parameter of the wrong type": ([*CONFIG, "{d}/param.toml"],
                                            "'ridge' must be a number > 0, got 'abc'"),
    "config: 12 bits among the bits": ([*CONFIG, "{d}/bits.toml"], "got [16, 12]"),
    "config: unknown direction": ([*CONFIG, "{d}/directions.toml"], "'directions' must be"),
    "config: metrics not a list": ([*CONFIG, "{d}/metrics.toml"], "'metrics' must be a "
                                                                  "non-empty list"),
    "config: unknown preset": (["run", "--preset", "dadh", "--out", "{d}/new"],
                               "unknown preset 'dadh'; available: agah-mirflickr"),
    "config: --preset and --config": (["run", "--preset", "dadh-wiki", "--config",
                                       "{d}/seed.toml"], "argument --config: not allowed with "
                                                         "argument --preset"),
    # -- train, codes, evaluate RUN_DIR --------------------------------------------------------
    "train: unknown method": (["train", *RUN[1:], "--method", "dcmh"], "unknown method 'dcmh'"),
    "train: another run in the folder": (["train", *RUN[1:], "--bits", "8", "--out", "{d}/run"],
                                         "'bits' is [16] there, [8] here"),
    "codes: no such folder": (["codes", "{d}/nowhere"], "run folder {d}/nowhere not found"),
    "codes: a file": (["codes", "{d}/plain.txt"], "plain.txt is not a folder"),
    "codes: not a run folder": (["codes", "{d}/notes"], "holds no config.json, so it is not a "
                                                        "cmhash run folder"),
    "codes: unreadable config.json": (["codes", "{d}/badrun"], "badrun/config.json: not a "
                                                               "readable run configuration"),
    "codes: nothing trained": (["codes", "{d}/untrained"], "holds no trained model yet "
                                                           "(cmhash train)"),
    "codes: unreadable bundle header": (["codes", "{d}/badmodel"],
                                        "model_16/model.json: not a readable model bundle header"),
    "codes: a run folder of an older cmhash": (["codes", "{d}/older"], "model bundles without "
                                                "training records (training_<bits>.json)"),
    "evaluate: run folder without codes": (["evaluate", "{d}/untrained"],
                                           "holds no codes file yet (cmhash codes)"),
    "evaluate: run folder with --metrics": (["evaluate", "{d}/run", "--metrics", "map"],
                                            "is a run folder: its metrics and directions are "
                                            "its config.json's, its reports go into it (drop "
                                            "--metrics)"),
    # -- results -------------------------------------------------------------------------------
    "results: not a run folder": (["results", "{d}/notes"], "{d}/notes/summary.json not found"),
    "results: a file": (["results", "{d}/plain.txt"], "plain.txt is not a folder"),
    "results: newer summary": (["results", "{d}/future"], "schema_version 99 is newer"),
    "results: summary not JSON": (["results", "{d}/broken"], "broken/summary.json: not a "
                                                             "readable summary"),
    "results: unknown format": (["results", "{d}/run", "--format", "tsv"],
                                "argument --format: invalid choice: 'tsv'"),
    "results: --out is a folder": (["results", "{d}/run", "--out", "{d}/notes"],
                                   "--out {d}/notes is a folder, not a file"),
    "results: no validation curve": (["results", "{d}/run", "--curves", "{d}/curves.png"],
                                     "no validation curves in these runs"),
    "list: unknown topic": (["list", "preset"], "argument what: invalid choice: 'preset'"),
    # -- encode --------------------------------------------------------------------------------
    "encode: no encoder": (["encode", "folder:{d}/photos", "--cache-dir", "{d}/cache"],
                           "name an --image-encoder, a --text-encoder or both"),
    "encode: unknown encoder": (["encode", "folder:{d}/photos", "--text-encoder", "glove"],
                                "unknown text encoder 'glove'; available: minilm, bow, "
                                "clip_text"),
    "encode: wrong modality": (["encode", "folder:{d}/photos", "--image-encoder", "bow"],
                               "encoder 'bow' encodes text, not image"),
    "encode: unknown encoder option": (["encode", "folder:{d}/photos", "--image-encoder",
                                        "efficientnet_lite0:size=64", "--cache-dir",
                                        "{d}/cache"], "encoder 'efficientnet_lite0'"),
    "encode: batch size 0": (["encode", "folder:{d}/photos", "--text-encoder", "bow",
                              "--batch-size", "0"], "argument --batch-size"),
    "encode: negative workers": (["encode", "folder:{d}/photos", "--text-encoder", "bow",
                                  "--workers", "-1"], "argument --workers"),
    "encode: CSV not UTF-8": (["encode", "folder:{d}/latin1", "--text-encoder", "bow",
                               "--cache-dir", "{d}/cache"], "pairs.csv: not UTF-8 text"),
    # -- data info -----------------------------------------------------------------------------
    "data info: CSV not UTF-8": (["data", "info", "folder:{d}/latin1"],
                                 "pairs.csv: not UTF-8 text (byte 0xe9"),
    "data info: CSV without a text column": (["data", "info", "folder:{d}/no_text"],
                                             "missing column 'text'"),
    "data info: bad JSONL line": (["data", "info", "folder:{d}/jsonl"], "pairs.jsonl:2: "),
    "data info: image without its text": (["data", "info", "folder:{d}/sidecar"],
                                          "no text file a.txt beside it"),
    "data info: folder dataset is a file": (["data", "info", "folder:{d}/plain.txt"],
                                            "is a file, not a folder"),
    "data info: unknown protocol": (["data", "info", "folder:{d}/photos", "--protocol", "x"],
                                    "unknown protocol 'x'"),
    "data info: negative seed": (["data", "info", "folder:{d}/photos", "--seed", "-1"],
                                 "argument --seed"),
    "data info: unknown format": (["data", "info", "csv:{d}/photos"], "unknown dataset"),
}


@pytest.mark.parametrize(("argv", "message"), list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(d, argv, message, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(d)  # the default runs/ folder would appear here
    monkeypatch.setenv("CMHASH_CACHE_DIR", str(d / "cache"))
    before = _tree(d)
    capsys.readouterr()
    assert main(_filled(argv, d)) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("cmhash: error: "), err
    assert message.replace("{d}", str(d)) in err
    assert _tree(d) == before


def test_the_catalogue_is_broad():
    kinds = {name.split(":")[0] for name in CASES}
    assert len(CASES) >= 40
    assert kinds == {"evaluate", "run", "config", "encode", "data info", "results", "list",
                     "train", "codes"}
