"""The training loop's files: a fresh start, a resume that does not fit, row buffers."""

import json

import pytest
import torch

from cmhash.errors import InputError
from cmhash.methods import FitContext, create_method
from cmhash.training import Phase, load_checkpoint, train
from tests.helpers import StatelessTask, labelled_pairs


def _fit(workdir, resume=False, **params):
    image, text, labels = labelled_pairs(60)
    method = create_method("dadh", bits=8, epochs=2, batch_size=64, random_state=0,
                           **({"hidden": 16} | params))
    return method.fit(image, text, labels, FitContext(workdir=workdir, resume=resume))


def test_a_resume_with_another_network_width_is_one_line(tmp_path):
    _fit(tmp_path)
    with pytest.raises(InputError, match=r"checkpoint\.pt: this checkpoint does not fit the "
                                         r"networks of this run"):
        _fit(tmp_path, resume=True, hidden=32)


def test_a_checkpoint_of_an_older_training_state_is_refused_in_one_line(tmp_path):
    _fit(tmp_path)
    checkpoint = tmp_path / "checkpoint.pt"
    content = torch.load(checkpoint, weights_only=True)
    del content["state_format"]  # as written before the loop kept the training state
    torch.save(content, checkpoint)
    with pytest.raises(InputError, match=r"checkpoint\.pt: written by an older cmhash"):
        _fit(tmp_path, resume=True)


class _Diverging(StatelessTask):
    """A task without networks whose loss is NaN from the second epoch on."""

    def phases(self):
        return [Phase("only", 2, 4,
                      lambda state, rows: {"loss": float("nan") if state.epoch else 1.5})]


def test_a_diverged_loss_is_null_in_a_strict_json_log(tmp_path):
    result = train(_Diverging(), range(8), seed=0, header={"method": "x", "bits": 8},
                   workdir=tmp_path, progress=True, has_validation=False)
    assert [r["losses"] for r in result.history] == [{"loss": 1.5}, {"loss": None}]
    lines = (tmp_path / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line, parse_constant=pytest.fail)["losses"] for line in lines] == [
        {"loss": 1.5}, {"loss": None}]


def test_a_run_that_does_not_resume_starts_a_fresh_log_without_old_checkpoints(tmp_path):
    header = {"method": "x", "bits": 8}
    train(_Diverging(), range(8), seed=0, header=header, workdir=tmp_path, progress=False,
          has_validation=False)
    (tmp_path / "best.pt").write_bytes(b"from an earlier run")
    train(_Diverging(), range(8), seed=0, header=header, workdir=tmp_path, progress=False,
          has_validation=False)
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in log] == [1, 2]  # not [1, 2, 1, 2]
    assert not (tmp_path / "best.pt").exists()  # no validation: this run wrote no best epoch


class _Counting(StatelessTask):
    """Every step adds 1 to its rows of a row buffer that the phase declares as zeros; the step
    of epoch ``kill_at`` raises."""

    def __init__(self, kill_at=None):
        self.kill_at = kill_at
        self.buffers = None

    def phases(self):
        return [Phase("count", 3, 3, self.step, validate=False,
                      row_buffers=lambda state: {"seen": torch.zeros(len(state.data))})]

    def step(self, state, rows):
        if state.epoch == self.kill_at:
            raise KeyboardInterrupt
        state.store("seen", rows, state.buffers["seen"][rows] + 1)
        self.buffers = state.buffers
        return {}


def test_row_buffers_are_checkpointed_and_restored_on_resume(tmp_path):
    header = {"method": "x", "bits": 8}
    with pytest.raises(KeyboardInterrupt):
        train(_Counting(kill_at=2), range(7), seed=0, header=header, workdir=tmp_path,
              progress=False, has_validation=False)
    saved = load_checkpoint(tmp_path / "checkpoint.pt", "x", 8)
    assert saved["buffers"]["seen"].tolist() == [2.0] * 7  # two epochs over every row
    resumed = _Counting()
    train(resumed, range(7), seed=0, header=header, workdir=tmp_path, resume=True,
          progress=False, has_validation=False)
    assert resumed.buffers["seen"].tolist() == [3.0] * 7  # not made again at the resume
