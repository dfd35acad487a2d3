"""The training loop's files: a fresh start, and a resume that does not fit."""

import json

import pytest

from cmhash.errors import InputError
from cmhash.methods import FitContext, create_method
from tests.helpers import labelled_pairs


def _fit(workdir, resume=False, **params):
    image, text, labels = labelled_pairs(60)
    method = create_method("dadh", bits=8, epochs=2, batch_size=64, random_state=0,
                           **({"hidden": 16} | params))
    return method.fit(image, text, labels, FitContext(workdir=workdir, resume=resume))


def test_a_run_that_does_not_resume_starts_a_fresh_log_without_old_checkpoints(tmp_path):
    _fit(tmp_path)
    (tmp_path / "best.pt").write_bytes(b"from an earlier run")
    _fit(tmp_path)
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in log] == [1, 2]  # not [1, 2, 1, 2]
    assert not (tmp_path / "best.pt").exists()  # no validation split: no best epoch written


def test_a_resume_with_another_network_width_is_one_line(tmp_path):
    _fit(tmp_path)
    with pytest.raises(InputError, match=r"checkpoint\.pt: this checkpoint does not fit the "
                                         r"networks of this run"):
        _fit(tmp_path, resume=True, hidden=32)
