"""read_json_object: the object back, and one InputError naming the file for each bad file."""

import re

import pytest

from cmhash.errors import InputError
from cmhash.utils.json_files import read_json_object


def test_reads_the_object(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"bits": [16, 32]}', encoding="utf-8")
    assert read_json_object(path, "run configuration") == {"bits": [16, 32]}


@pytest.mark.parametrize(("content", "message"), [
    (b'{"bits": ', "not a readable run configuration"),
    (b"\xff\xfe{}", "not a readable run configuration"),
    (b"[1, 2]", "not a run configuration (not a JSON object)"),
])
def test_bad_files_are_one_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "config.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)) as error:
        read_json_object(path, "run configuration")
    assert str(path) in str(error.value)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a readable summary"):
        read_json_object(tmp_path / "summary.json", "summary")
