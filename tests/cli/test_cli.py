"""The command line end to end: exit codes, messages and the files it writes."""

import json

import numpy as np
import pytest

from cmhash.cli.main import main


@pytest.mark.slow
def test_run_on_wiki_then_evaluate_its_codes(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    assert main(["run", "--method", "ridge_hash", "--dataset", "wiki", "--protocol", "wiki",
                 "--bits", "16", "32", "--data-root", str(data_root), "--out", str(out),
                 "--set", "n_anchors=300"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["split"] == {"protocol": "wiki", "seed": None, "database_contains_train": True,
                               "train": 2173, "query": 693, "database": 2173}
    assert config["params"] == {"n_anchors": 300} and config["seed"] == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [row["bits"] for row in summary["rows"]] == [16, 32]
    report = json.loads((out / "report_32.json").read_text())
    assert report["directions"]["t2i"]["n_query"] == 693
    assert (out / "pr_32.png").read_bytes()[:4] == b"\x89PNG"
    i2t = report["directions"]["i2t"]["metrics"]["map"]

    capsys.readouterr()
    assert main(["evaluate", str(out / "codes_32.npz"), "--out", str(tmp_path / "ev"),
                 "--metrics", "map", "map_calc_k@100"]) == 0
    printed = capsys.readouterr().out
    assert f"map={i2t:.4f}" in printed
    evaluated = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert evaluated["directions"]["i2t"]["metrics"]["map"] == pytest.approx(i2t, abs=1e-12)
    assert (tmp_path / "ev" / "p_at_k.png").is_file()


def test_data_info_prints_counts(data_root, capsys):
    assert main(["data", "info", "mirflickr-images", "--data-root", str(data_root),
                 "--protocol", "mirflickr", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["pairs"] == 15677 and info["split"]["query"] == 2000


def _error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("cmhash: error: ")
    return err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--method", "cca_itq", "--dataset", "wiki", "--protocol", "wiki",
      "--bits", "12"], "'bits' must be a non-empty list of distinct items, each a positive "
                       "multiple of 8, got [12]"),
    (["run", "--method", "cca_itq", "--dataset", "wiki", "--protocol", "mirflickr"],
     "needs 2000 query + 10000 train pairs, but the dataset has 2866"),
    (["run", "--method", "nope", "--dataset", "wiki", "--protocol", "wiki"],
     "unknown method 'nope'"),
    (["run", "--method", "cca_itq", "--dataset", "wiki", "--protocol", "wiki",
      "--set", "n_anchors"], "--set expects KEY=VALUE"),
    (["data", "info", "wiki", "--protocol", "dadh_nus"],
     "needs at least 12100 pairs, the dataset has 2866"),
    (["run", "--method", "cca_itq", "--dataset", "mirflickr", "--protocol", "mirflickr"],
     "dataset 'mirflickr' has no stored image features (none); name one with --image-feature, "
     "or an encoder: efficientnet_lite0, clip_image"),
])
def test_user_mistakes_give_one_line_and_exit_2(tmp_path, data_root, capsys, argv, message):
    out = tmp_path / "out"
    code = main([*argv, "--data-root", str(data_root)] + (["--out", str(out)] if argv[0] ==
                                                          "run" else []))
    assert code == 2
    assert message in _error_line(capsys)
    assert not out.exists()  # nothing half-written


def test_missing_and_bad_codes_files(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "none.npz")]) == 2
    assert "codes file not found" in _error_line(capsys)
    np.savez(tmp_path / "c.npz", q_img=np.ones((0, 8)), r_txt=np.ones((3, 8)),
             q_l=np.ones((0, 2)), r_l=np.ones((3, 2)))
    assert main(["evaluate", str(tmp_path / "c.npz"), "--directions", "i2t"]) == 2
    assert "query set is empty" in _error_line(capsys)
    assert not (tmp_path / "c").exists()
    np.savez(tmp_path / "d.npz", q_img=np.ones((2, 8)), r_txt=np.ones((3, 8)),
             q_l=np.ones((2, 2)), r_l=np.ones((3, 2)))
    assert main(["evaluate", str(tmp_path / "d.npz")]) == 2
    assert "direction t2i needs codes 'q_txt'" in _error_line(capsys)


@pytest.mark.slow
def test_deep_method_run_records_validation_and_resumes(tmp_path, data_root, capsys):
    out = tmp_path / "hmah"
    argv = ["run", "--method", "hmah", "--dataset", "wiki", "--protocol", "wiki", "--bits", "16",
            "--data-root", str(data_root), "--out", str(out), "--set", "teacher_epochs=1",
            "--set", "student_epochs=2", "--set", "batch_size=512", "--metrics", "map"]
    assert main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["validation"]["pairs"] == 217 and config["word_vectors"] == "none"
    report = json.loads((out / "report_16.json").read_text())
    assert report["epochs_trained"] == 3 and report["database_codes"] == "standard"
    assert report["selected_epoch"]["phase"] == "students"
    log = (out / "train_16" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["phase"] for line in log] == ["teacher", "students", "students"]
    assert (out / "model_16" / "model.json").is_file()
    codes = (out / "codes_16.npz").read_bytes()
    assert main([*argv, "--resume"]) == 0  # everything is done: the same result again
    assert (out / "codes_16.npz").read_bytes() == codes
    capsys.readouterr()
    assert main([*argv[:-2], "--set", "database=fused", "--set", "nope=1"]) == 2
    assert "no parameter 'nope'" in _error_line(capsys)
