"""`cmhash encode` and `cmhash run` on encoder features, on a folder of real photos."""

import json

from cmhash.cli.main import main
from tests.cli.test_cli import _error_line


def test_encode_then_run_on_cached_features(tmp_path, image_folder, capsys):
    cache = tmp_path / "cache"
    spec = f"folder:{image_folder}"
    assert main(["encode", spec, "--image-encoder", "efficientnet_lite0:image_size=64",
                 "--text-encoder", "bow", "--cache-dir", str(cache), "--no-compile",
                 "--batch-size", "8", "--workers", "0"]) == 0
    printed = capsys.readouterr().out
    assert "efficientnet_lite0: global [24, 1280], tokens [24, 4, 1280]; 0 skipped" in printed
    assert "bow: global [24, " in printed
    out = tmp_path / "run"
    assert main(["run", "--method", "ridge_hash", "--dataset", spec,
                 "--protocol", "random:query=6,train=12", "--bits", "16",
                 "--image-feature", "efficientnet_lite0:image_size=64", "--text-feature", "bow",
                 "--cache-dir", str(cache), "--out", str(out), "--set", "n_anchors=16"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["image_feature_shape"] == [24, 1280]
    assert config["split"]["query"] == 6 and config["pairs_dropped_unreadable"] == 0
    assert json.loads((out / "report_16.json").read_text())["directions"]["t2i"]["n_query"] == 6


def test_encode_mistakes(tmp_path, image_folder, capsys):
    spec = f"folder:{image_folder}"
    assert main(["encode", spec, "--cache-dir", str(tmp_path)]) == 2
    assert "name an --image-encoder, a --text-encoder or both" in _error_line(capsys)
    assert main(["encode", spec, "--image-encoder", "minilm", "--cache-dir", str(tmp_path)]) == 2
    assert "encoder 'minilm' encodes text, not image" in _error_line(capsys)
    assert main(["encode", spec, "--text-encoder", "glove", "--cache-dir", str(tmp_path)]) == 2
    assert "unknown text encoder 'glove'" in _error_line(capsys)
    assert main(["encode", spec, "--image-encoder", "efficientnet_lite0:size=64",
                 "--cache-dir", str(tmp_path)]) == 2
    assert "encoder 'efficientnet_lite0'" in _error_line(capsys)


def test_token_methods_run_end_to_end(tmp_path, image_folder, capsys):
    spec = f"folder:{image_folder}"
    common = ["--dataset", spec, "--protocol", "random:query=6,train=12", "--bits", "16",
              "--image-feature", "efficientnet_lite0:image_size=64",
              "--text-feature", "minilm:max_tokens=8", "--cache-dir", str(tmp_path / "cache"),
              "--set", "epochs=2", "--set", "batch_size=6", "--metrics", "map"]
    for method in ("mith", "math"):
        out = tmp_path / method
        assert main(["run", "--method", method, *common, "--out", str(out)]) == 0
        report = json.loads((out / "report_16.json").read_text())
        assert report["epochs_trained"] == 2 and report["directions"]["i2t"]["n_query"] == 6
    capsys.readouterr()
    without_text = [a for a in common if not a.startswith(("--text-feature", "minilm"))]
    assert main(["run", "--method", "mith", *without_text, "--out", str(tmp_path / "x")]) == 2
    assert "needs token features: name an encoder with --text-feature" in _error_line(capsys)
