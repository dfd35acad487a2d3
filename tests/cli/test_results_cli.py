"""``cmhash results``: run folders' summaries as one table, and the validation curves."""

import csv
import io
import json

import pytest

from cmhash.cli.main import main
from cmhash.results import validation_curves
from tests.helpers import write_triplet


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A shallow run at 16 and 32 bits and a deep run (DADH, 2 epochs, validated) at 16 bits
    on the tiny triplet dataset."""
    d = tmp_path_factory.mktemp("results")
    data = f"triplet:{write_triplet(d / 'pairs.mat')}"
    common = ["--dataset", data, "--protocol", "presplit", "--metrics", "map", "map@5"]
    assert main(["run", "--method", "ridge_hash", *common, "--bits", "16", "32",
                 "--set", "n_anchors=40", "--out", str(d / "ridge")]) == 0
    assert main(["run", "--method", "dadh", *common, "--bits", "16", "--set", "hidden=32",
                 "--set", "epochs=2", "--out", str(d / "dadh")]) == 0
    return d


def _summary_rows(run):
    summary = json.loads((run / "summary.json").read_text())
    assert summary["schema_version"] == 1
    return [{"run": run.name, "method": summary["method"], "dataset": summary["dataset"],
             "protocol": summary["protocol"]} | row for row in summary["rows"]]


def test_json_and_csv_hold_every_summary_row_in_order(runs, capsys):
    expected = _summary_rows(runs / "ridge") + _summary_rows(runs / "dadh")
    assert [(r["run"], r["bits"]) for r in expected] == [("ridge", 16), ("ridge", 32),
                                                         ("dadh", 16)]
    capsys.readouterr()
    assert main(["results", str(runs / "ridge"), str(runs / "dadh"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert main(["results", str(runs / "ridge"), str(runs / "dadh"), "--format", "csv",
                 "--out", str(runs / "table.csv")]) == 0
    table = list(csv.DictReader(io.StringIO((runs / "table.csv").read_text())))
    assert [{k: str(v) for k, v in row.items()} for row in expected] == table


def test_markdown_rounds_to_four_decimals(runs, capsys):
    capsys.readouterr()
    assert main(["results", str(runs / "ridge")]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = _summary_rows(runs / "ridge")[1]
    assert lines[0] == "| " + " | ".join(row) + " |" and lines[1] == "|" + "---|" * len(row)
    assert lines[3] == "| " + " | ".join(
        f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()) + " |"


def test_curves_come_from_the_training_logs(runs):
    log = (runs / "dadh" / "train_16" / "train_log.jsonl").read_text().splitlines()
    scores = [json.loads(line)["validation"]["score"] for line in log]
    assert len(scores) == 2 and validation_curves(runs / "dadh") == {16: scores}
    assert validation_curves(runs / "ridge") == {}  # no training log: no curve
    assert main(["results", str(runs / "ridge"), str(runs / "dadh"),
                 "--curves", str(runs / "curves.png")]) == 0
    assert (runs / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_curves_come_from_a_record_folder_too(runs, tmp_path):
    """``benchmarks/records`` keeps a run's summary and its logs as ``train_<bits>_log.jsonl``."""
    record = tmp_path / "record"
    record.mkdir()
    (record / "summary.json").write_bytes((runs / "dadh" / "summary.json").read_bytes())
    (record / "train_16_log.jsonl").write_bytes(
        (runs / "dadh" / "train_16" / "train_log.jsonl").read_bytes())
    assert validation_curves(record) == validation_curves(runs / "dadh")
    assert main(["results", str(record), "--curves", str(tmp_path / "curves.png")]) == 0


def test_a_summary_without_schema_version_is_read_as_version_1(runs, tmp_path, capsys):
    old = tmp_path / "old"
    old.mkdir()
    summary = json.loads((runs / "ridge" / "summary.json").read_text())
    del summary["schema_version"]
    (old / "summary.json").write_text(json.dumps(summary))
    capsys.readouterr()
    assert main(["results", str(old), "--format", "json"]) == 0
    assert [row["bits"] for row in json.loads(capsys.readouterr().out)] == [16, 32]
