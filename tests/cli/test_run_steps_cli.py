"""``cmhash train``, ``cmhash codes`` and ``cmhash evaluate RUN_DIR``: the steps ``cmhash run``
composes, each reading and writing the run folder and keeping work already done and valid."""

import json

import numpy as np
import pytest

from cmhash.cli.main import main
from cmhash.codes import load_code_set
from tests.helpers import write_triplet

RIDGE = ["--method", "ridge_hash", "--protocol", "presplit", "--bits", "8", "16",
         "--set", "n_anchors=20", "--metrics", "map", "p@5"]


@pytest.fixture
def dataset(tmp_path):
    return f"triplet:{write_triplet(tmp_path / 'pairs.mat')}"


def _mtimes(folder, pattern):
    return {p.name: p.stat().st_mtime_ns for p in folder.glob(pattern)}


def test_the_three_steps_give_what_run_gives(tmp_path, dataset, capsys):
    whole, steps = tmp_path / "whole", tmp_path / "steps"
    assert main(["run", "--dataset", dataset, *RIDGE, "--out", str(whole)]) == 0
    assert main(["train", "--dataset", dataset, *RIDGE, "--out", str(steps)]) == 0
    assert sorted(p.name for p in steps.iterdir()) == [
        "config.json", "model_16", "model_8", "training_16.json", "training_8.json"]
    assert main(["codes", str(steps)]) == 0
    assert main(["evaluate", str(steps)]) == 0
    for bits in (8, 16):
        a, b = (np.load(folder / f"codes_{bits}.npz") for folder in (whole, steps))
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
        reports = [json.loads((folder / f"report_{bits}.json").read_text())
                   for folder in (whole, steps)]
        assert reports[0]["directions"] == reports[1]["directions"]
    summaries = [json.loads((folder / "summary.json").read_text()) for folder in (whole, steps)]
    assert summaries[0]["schema_version"] == summaries[1]["schema_version"] == 1
    assert [row["i2t map"] for row in summaries[0]["rows"]] == [
        row["i2t map"] for row in summaries[1]["rows"]]


def test_codes_name_each_rows_item_and_the_model_that_made_them(tmp_path, dataset):
    out = tmp_path / "run"
    assert main(["run", "--dataset", dataset, *RIDGE, "--out", str(out)]) == 0
    code_set = load_code_set(out / "codes_16.npz")
    # the triplet dataset's pairs are tr0…tr39, db0…db39, te0…te9; presplit queries te, database db
    assert code_set.query_ids.tolist() == [f"te{i}" for i in range(10)]
    assert code_set.database_ids.tolist() == [f"db{i}" for i in range(40)]
    header = json.loads((out / "model_16" / "model.json").read_text())
    assert code_set.model_sha256 == header["header_sha256"]


def test_each_step_keeps_valid_work_and_redoes_what_is_stale(tmp_path, dataset, capsys):
    out = tmp_path / "run"
    assert main(["run", "--dataset", dataset, *RIDGE, "--out", str(out)]) == 0
    codes, reports = _mtimes(out, "codes_*.npz"), _mtimes(out, "report_*.json")
    capsys.readouterr()
    assert main(["codes", str(out)]) == 0 and main(["evaluate", str(out)]) == 0
    assert "8 bits: codes up to date" in capsys.readouterr().out
    assert _mtimes(out, "codes_*.npz") == codes and _mtimes(out, "report_*.json") == reports

    # a codes file without the current model's digest (e.g. written before codes carried it)
    old = dict(np.load(out / "codes_8.npz"))
    del old["model_sha256"], old["q_id"], old["r_id"]
    np.savez(out / "codes_8.npz", **old)
    assert main(["codes", str(out)]) == 0
    assert load_code_set(out / "codes_8.npz").query_ids is not None  # written again
    assert _mtimes(out, "codes_16.npz") == {"codes_16.npz": codes["codes_16.npz"]}

    # a report of other codes is computed again; the other code length's is kept
    report = json.loads((out / "report_16.json").read_text())
    (out / "report_16.json").write_text(json.dumps(report | {"codes_sha256": "0" * 64}))
    kept = _mtimes(out, "report_16.json")
    assert main(["evaluate", str(out)]) == 0
    assert json.loads((out / "report_16.json").read_text()) == report
    assert _mtimes(out, "report_16.json") != kept


def test_steps_run_on_the_code_lengths_trained_so_far(tmp_path, dataset, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", dataset, *RIDGE, "--out", str(out)]) == 0
    (out / "training_16.json").unlink()  # as if killed while training 16 bits
    capsys.readouterr()
    assert main(["codes", str(out)]) == 0 and main(["evaluate", str(out)]) == 0
    assert not (out / "codes_16.npz").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert [row["bits"] for row in summary["rows"]] == [8]
    assert main(["train", "--dataset", dataset, *RIDGE, "--out", str(out), "--resume"]) == 0
    assert "8 bits: trained before, kept" in capsys.readouterr().out
    assert main(["codes", str(out)]) == 0 and main(["evaluate", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [row["bits"] for row in summary["rows"]] == [8, 16]
