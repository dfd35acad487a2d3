import json

import pytest

from cmhash.cli.main import main
from cmhash.errors import InputError, MissingFileError
from cmhash.methods import create_method
from cmhash.presets import list_presets
from cmhash.run_config import load_run_config, make_run_config

DADH = """method = "dadh"
dataset = "mirflickr-images"
protocol = "mirflickr"
text_feature = "bow"

[params]
hidden = 2048
epochs = 20
"""


def test_a_file_gives_its_fields_and_overrides_replace_them(tmp_path):
    path = tmp_path / "dadh.toml"
    path.write_text(DADH)
    config = load_run_config(path)
    assert (config.method, config.dataset, config.protocol) == ("dadh", "mirflickr-images",
                                                                "mirflickr")
    assert config.params == {"hidden": 2048, "epochs": 20}
    assert config.bits == [16, 32, 64, 128] and config.seed == 0  # RunConfig's defaults
    config = load_run_config(path, {"bits": [64], "seed": None, "params": {"epochs": 5}})
    assert config.bits == [64] and config.seed == 0
    assert config.params == {"hidden": 2048, "epochs": 5}  # merged key by key


@pytest.mark.parametrize("text, message", [
    ('method = "dadh"\ndataset = "wiki"\nprotocl = "wiki"\n', "unknown key 'protocl'"),
    ('method = "dadh"\ndataset = "wiki"\n', "no 'protocol' given"),
    ('method = "dadh"\ndataset = "wiki"\nprotocol = "wiki"\nbits = 64\n',
     "'bits' must be a non-empty list of distinct items, each a positive multiple of 8, got 64"),
    ('method = "dadh"\ndataset = "wiki"\nprotocol = "wiki"\nparams = 3\n',
     "'params' must be a table, got 3"),
    ('method = "dadh\n', "not a valid TOML file"),
    ('description = 3\nmethod = "dadh"\n', "'description' must be a string, got 3"),
])
def test_mistakes_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as error:
        load_run_config(path)
    assert str(path) in str(error.value)


def test_field_values_are_checked_and_documented_values_pass():
    base = {"method": "dadh", "dataset": "wiki", "protocol": "wiki"}
    config = make_run_config({**base, "validation_size": 0, "split_seed": 3, "bits": [8, 64],
                              "metrics": ["map", "map_calc_k@100"], "directions": ["i2i"]})
    assert config.validation_size == 0  # no validation split: the last epoch is kept
    for key, value, message in [("seed", "zero", r"'seed' must be an integer in \[0, 4294967296\), "
                                                  "got 'zero'"),
                                ("seed", 2**32, r"'seed' must be an integer in \[0, 4294967296\)"),
                                ("resume", "yes", "'resume' must be true or false"),
                                ("metrics", ["mAP"], "'metrics': unknown metric 'mAP'"),
                                ("params", {"random_state": 1},
                                 "'params' may not set 'random_state'")]:
        with pytest.raises(InputError, match=f"^the command line: {message}"):
            make_run_config({**base, key: value})


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(MissingFileError, match=r"nowhere\.toml"):
        load_run_config(tmp_path / "nowhere.toml")


def test_the_command_line_needs_method_dataset_and_protocol():
    with pytest.raises(InputError, match=r"^cmhash run: no 'protocol' given \(give --method, "
                                         r"--dataset and --protocol, or --config FILE\)$"):
        make_run_config({"method": "dadh", "dataset": "wiki"}, "cmhash run",
                        " (give --method, --dataset and --protocol, or --config FILE)")


@pytest.mark.parametrize("preset", list_presets(), ids=lambda p: p.name)
def test_every_preset_names_a_method_and_parameters_it_takes(preset):
    config = load_run_config(preset.path)
    create_method(config.method, **config.params)  # an unknown parameter raises


def test_cli_runs_a_config_file_with_options_replacing_its_values(tmp_path, data_root, capsys):
    path = tmp_path / "ridge.toml"
    path.write_text('method = "ridge_hash"\ndataset = "wiki"\nprotocol = "wiki"\nbits = [16]\n'
                    'metrics = ["map"]\n\n[params]\nn_anchors = 300\n')
    out = tmp_path / "run"
    assert main(["run", "--config", str(path), "--bits", "32", "--data-root", str(data_root),
                 "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["method"] == "ridge_hash" and config["bits"] == [32]
    assert config["params"] == {"n_anchors": 300} and config["metrics"] == ["map"]
    assert main(["run", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml not found" in capsys.readouterr().err
