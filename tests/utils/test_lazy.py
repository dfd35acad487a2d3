"""Light imports: torch, numba and matplotlib load on first use, and a feature whose optional
dependency is missing fails with one line naming the extra to install."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cmhash
from cmhash.encoders import ENCODERS
from cmhash.methods import METHODS

SRC = Path(__file__).resolve().parents[2] / "src"


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that imports cmhash from ``src/``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, check=True)


def _loaded_after(statements: str) -> list[str]:
    """Which of torch, numba and matplotlib a fresh interpreter holds after ``statements``."""
    probe = ("import json, sys; "
             "print(json.dumps([m for m in ('torch', 'numba', 'matplotlib') if m in sys.modules]))")
    return json.loads(_python(f"{statements}\n{probe}").stdout)


@pytest.mark.parametrize("statements", [
    "import cmhash",
    "import cmhash.codes",
    "import cmhash; cmhash.list_methods(); cmhash.Codes; cmhash.evaluate_code_set",
    "import cmhash.metrics, cmhash.encoders, cmhash.cli.main; cmhash.encoders.list_encoders()",
])
def test_imports_and_listing_load_no_heavy_dependency(statements):
    assert _loaded_after(statements) == []


def test_first_use_loads_what_it_needs():
    assert _loaded_after("import cmhash; cmhash.create_method('cca_itq')") == []
    assert _loaded_after("import cmhash; cmhash.create_method('dadh')") == ["torch"]
    assert _loaded_after("import numpy as np, cmhash; c = cmhash.Codes.from_real(np.ones((2, 8)))"
                         "\ncmhash.mean_average_precision(c, c, np.eye(2), np.eye(2))"
                         ) == ["numba"]


def test_public_names_resolve_and_registries_name_their_classes():
    for name in cmhash.__all__:
        assert getattr(cmhash, name) is not None and name in dir(cmhash)
    with pytest.raises(AttributeError, match="module 'cmhash' has no attribute 'nothing'"):
        cmhash.nothing  # noqa: B018
    for registry in (METHODS, ENCODERS):
        assert "nothing" not in registry
        for name in registry:
            assert registry[name].name == name


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    script = """
import sys
sys.modules["torch"] = sys.modules["matplotlib"] = None  # as if not installed
import numpy as np
from cmhash import MissingExtraError, create_method
from cmhash.cli.main import main
from cmhash.codes import CodeSet, Codes, save_code_set

try:
    create_method("dadh")
except MissingExtraError as e:
    print(e)
rng = np.random.default_rng(0)
create_method("cca_itq", bits=8, n_anchors=20).fit(rng.random((30, 4)), rng.random((30, 3)))
codes, labels = Codes.from_real(rng.normal(size=(6, 8))), np.eye(6, 2, dtype=np.uint8)
save_code_set(sys.argv[1], CodeSet(labels, labels, codes, codes, codes, codes))
print(main(["list"]), main(["evaluate", sys.argv[1], "--metrics", "map"]),
      main(["run", "--method", "cca_itq", "--dataset", "wiki", "--protocol", "wiki",
            "--out", sys.argv[2]]))
"""
    done = _python(script, str(tmp_path / "codes.npz"), str(tmp_path / "run"))
    lines = done.stdout.splitlines()
    assert lines[0] == ("method 'dadh' needs torch, which is not installed; install it with: "
                        "pip install 'cmhash[train]'")
    assert lines[1].startswith("methods:") and lines[-1] == "0 2 2"
    assert done.stderr.strip().splitlines() == 2 * [
        "cmhash: error: a plot needs matplotlib, which is not installed; install it with: "
        "pip install 'cmhash[plot]'"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.npz"]  # failed before the work
