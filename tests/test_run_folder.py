"""A run folder belongs to one run: reruns, resumes, replacements and refusals."""

import json
import shutil

import pytest

from cmhash.cli.main import main
from tests.helpers import write_triplet

DADH = ["--method", "dadh", "--protocol", "presplit", "--bits", "16", "--set", "hidden=16",
        "--set", "epochs=2", "--set", "batch_size=64", "--metrics", "map"]
RIDGE = ["--method", "ridge_hash", "--protocol", "presplit", "--set", "n_anchors=20",
         "--metrics", "map"]


@pytest.fixture
def dataset(tmp_path):
    return f"triplet:{write_triplet(tmp_path / 'pairs.mat')}"


def _run(dataset, out, *options, method=DADH):
    return main(["run", "--dataset", dataset, *method, "--out", str(out), *options])


def _log(out):
    return (out / "train_16" / "train_log.jsonl").read_text().splitlines()


@pytest.mark.slow
def test_a_rerun_replaces_the_run_and_starts_a_fresh_log(tmp_path, dataset):
    out = tmp_path / "run"
    assert _run(dataset, out) == 0
    assert len(_log(out)) == 2
    assert sorted(p.name for p in (out / "train_16").iterdir()) == ["train_log.jsonl"]
    codes = (out / "codes_16.npz").read_bytes()
    (out / "left_by_the_first_run.txt").write_text("x")
    assert _run(dataset, out) == 0  # the same run, without --resume: again from scratch
    assert len(_log(out)) == 2  # not 4: a fresh log
    assert not (out / "left_by_the_first_run.txt").exists()
    assert (out / "codes_16.npz").read_bytes() == codes
    assert _run(dataset, out, "--device", "cpu", "--resume") == 0  # the device may differ


@pytest.mark.slow
def test_checkpoints_are_kept_on_request_and_a_resume_continues_from_them(tmp_path, dataset):
    out = tmp_path / "run"
    assert _run(dataset, out, "--keep-checkpoints") == 0
    assert {p.name for p in (out / "train_16").iterdir()} == {
        "train_log.jsonl", "checkpoint.pt", "best.pt"}
    codes = (out / "codes_16.npz").read_bytes()
    (out / "training_16.json").unlink()  # as if killed after the last epoch's checkpoint
    assert _run(dataset, out, "--resume") == 0
    assert len(_log(out)) == 2 and (out / "codes_16.npz").read_bytes() == codes
    assert not (out / "train_16" / "checkpoint.pt").exists()


def test_a_resume_keeps_trained_code_lengths(tmp_path, dataset):
    out = tmp_path / "run"
    assert _run(dataset, out, "--bits", "8", "16", method=RIDGE) == 0
    trained = (out / "training_8.json").stat().st_mtime_ns
    (out / "training_16.json").unlink()
    assert _run(dataset, out, "--bits", "8", "16", "--resume", method=RIDGE) == 0
    assert (out / "training_8.json").stat().st_mtime_ns == trained  # not trained again
    assert (out / "training_16.json").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert [row["bits"] for row in summary["rows"]] == [8, 16]


def test_a_code_length_is_trained_with_its_model_bundle_and_a_resume_clears_killed_writes(
        tmp_path, dataset):
    out = tmp_path / "run"
    assert _run(dataset, out, "--bits", "8", "16", method=RIDGE) == 0
    assert (out / "model_8" / "model.json").is_file() and (out / "model_16").is_dir()
    report = (out / "report_8.json").stat().st_mtime_ns
    shutil.rmtree(out / "model_16")  # a training record without its bundle: not trained
    (out / ".tmp-model_16.x1").mkdir()  # what a killed bundle write leaves
    (out / ".old-model_8.x2").mkdir()
    (out / ".tmp-codes_16.npz.x3").write_text("half")
    assert _run(dataset, out, "--bits", "8", "16", "--resume", method=RIDGE) == 0
    assert (out / "report_8.json").stat().st_mtime_ns == report  # not trained again
    assert (out / "model_16" / "model.json").is_file()
    assert not list(out.glob(".*"))


def test_another_run_is_refused_then_replaced_with_overwrite(tmp_path, dataset, capsys):
    out = tmp_path / "run"
    assert _run(dataset, out, "--bits", "16", method=RIDGE) == 0
    config = (out / "config.json").read_bytes()
    capsys.readouterr()
    assert _run(dataset, out, "--bits", "16", "--set", "n_anchors=30", method=RIDGE) == 2
    assert "('params.n_anchors' is 20 there, 30 here); --overwrite replaces it" in \
        capsys.readouterr().err
    assert _run(dataset, out, "--bits", "16", "--set", "n_anchors=30", "--resume",
                method=RIDGE) == 2  # a failed resume …
    assert (out / "config.json").read_bytes() == config  # … changes nothing
    assert _run(dataset, out, "--bits", "16", "--set", "n_anchors=30", "--overwrite",
                method=RIDGE) == 0
    assert json.loads((out / "config.json").read_text())["params"]["n_anchors"] == 30


def test_a_run_stopped_by_a_mistake_after_it_started_removes_its_folder(tmp_path, dataset,
                                                                        capsys):
    out = tmp_path / "run"
    # 64 CCA directions need 64 kernel features; 40 training pairs give 40: found in fit
    assert main(["run", "--method", "cca_itq", "--dataset", dataset, "--protocol", "presplit",
                 "--bits", "64", "--set", "n_anchors=64", "--out", str(out)]) == 2
    assert "64 bits need at least that many kernel features" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()  # a folder the user made stays, empty as it was
    assert main(["run", "--method", "cca_itq", "--dataset", dataset, "--protocol", "presplit",
                 "--bits", "64", "--set", "n_anchors=64", "--out", str(out)]) == 2
    assert out.is_dir() and list(out.iterdir()) == []
