"""The benchmark scripts run as modules (``python -m benchmarks.<group>.<script>``), and the
results page keeps its prose around the generated tables."""

import pkgutil
import runpy
import sys
from pathlib import Path

import pytest

import benchmarks
from benchmarks.results.results_table import BEGIN, END, PAGE, page_around_tables

SCRIPTS = sorted(info.name for info in pkgutil.walk_packages(benchmarks.__path__, "benchmarks.")
                 if not info.ispkg)


def test_the_scripts_are_grouped_and_import_cmhash_only():
    assert {name.split(".")[1] for name in SCRIPTS} == {"speed", "results", "studies"}
    for script in SCRIPTS:
        source = Path(benchmarks.__path__[0]).parent.joinpath(
            *script.split(".")).with_suffix(".py").read_text()
        assert "sys.path" not in source, script
        assert "from tests" not in source and "import tests" not in source, script


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # imported above
def test_every_script_answers_help(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module(script, run_name="__main__")
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_the_page_keeps_its_prose_around_the_tables():
    page = f"# Results\n\nprose\n{BEGIN}\nold tables\n{END}\n\nmore prose\n"
    before, after = page_around_tables(page)
    assert before == f"# Results\n\nprose\n{BEGIN}"
    assert after == f"{END}\n\nmore prose\n"
    assert page_around_tables(Path(PAGE).read_text())  # the real page has its markers


@pytest.mark.parametrize("page", ["no markers", f"{END}\n{BEGIN}", f"{BEGIN}\n{BEGIN}\n{END}"])
def test_a_page_without_its_markers_in_order_is_refused(page):
    with pytest.raises(SystemExit, match="needs the marker line"):
        page_around_tables(page)
