"""The packaged presets: names, kinds, descriptions, and ``cmhash list presets``."""

import json

import pytest

from cmhash.cli.main import main
from cmhash.errors import InputError
from cmhash.presets import list_presets, preset_path
from cmhash.run_config import load_run_config

PRESETS = list_presets()


def test_presets_are_packaged_with_unique_names_and_a_kind_per_folder():
    names = [preset.name for preset in PRESETS]
    assert len(names) == len(set(names))
    assert {"dadh-wiki", "hmah-mirflickr", "mith-mirflickr"} <= set(names)
    for preset in PRESETS:
        assert preset.path.parent.name == {"method": "methods", "ablation": "ablations"}[
            preset.kind]
        assert preset.path.parent.parent.name == "presets" and preset.path.is_file()
        assert preset.description and "\n" not in preset.description
    assert {p.name for p in PRESETS if p.kind == "ablation"} == {
        "hmah-batch128-wiki", "hmah-minilm-mirflickr", "dadh-minilm-mirflickr",
        "agah-standardized-wiki", "mith-aligned-mirflickr"}


@pytest.mark.parametrize("ablation", [p for p in PRESETS if p.kind == "ablation"],
                         ids=lambda p: p.name)
def test_every_ablation_starts_from_the_method_preset_its_description_names(ablation):
    base_name = ablation.description.split()[0]
    base = next(p for p in PRESETS if p.name == base_name)
    assert base.kind == "method"
    varied, original = load_run_config(ablation.path), load_run_config(base.path)
    assert (varied.method, varied.dataset, varied.protocol) == (
        original.method, original.dataset, original.protocol)
    assert varied != original


def test_preset_path_names_the_file_and_refuses_an_unknown_name():
    assert preset_path("dadh-wiki").name == "dadh-wiki.toml"
    with pytest.raises(InputError, match=r"^unknown preset 'dadh'; available: agah-mirflickr, "):
        preset_path("dadh")


def test_list_presets_prints_name_kind_and_description(capsys):
    assert main(["list", "presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(PRESETS)
    line = next(line for line in lines if line.startswith("hmah-batch128-wiki "))
    name, kind, *description = line.split()
    assert (name, kind) == ("hmah-batch128-wiki", "ablation")
    assert " ".join(description) == ("hmah-wiki with batch 128 instead of 1,024 (16 steps per "
                                     "epoch instead of 2)")


@pytest.mark.slow
def test_run_a_preset_with_options_replacing_its_values(tmp_path, data_root):
    out = tmp_path / "run"
    assert main(["run", "--preset", "dadh-wiki", "--bits", "16", "--set", "epochs=1",
                 "--metrics", "map", "--data-root", str(data_root), "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["method"], config["dataset"], config["bits"]) == ("dadh", "wiki", [16])
    assert config["params"] == {"hidden": 2048, "epochs": 1}  # the preset's width kept
