"""Input paths that are not a regular file of sane size, and TOML nested past the parser's stack.

A FIFO would block the read forever and ``/dev/zero`` would never end it: both are refused before a byte
is read. Every case: exit code 2, one line naming the path and what is allowed, never a traceback.
"""

import os
from pathlib import Path

import pytest
from cli_checks import one_line_error

from hw_models.input_file import MAX_INPUT_BYTES

ROOT = Path(__file__).resolve().parents[2]


def _not_regular(tmp_path: Path, kind: str) -> tuple[str, str]:
    """A path of ``kind`` and a word the refusal must contain."""
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)
        return str(path), "not a regular file"
    if kind == "directory":
        path = tmp_path / "folder.toml"
        path.mkdir()
        return str(path), "a directory"
    return "/dev/zero", "not a regular file"


@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero"])
def test_a_scenario_that_is_not_a_regular_file_is_refused(cli, tmp_path, kind):
    path, why = _not_regular(tmp_path, kind)
    one_line_error(cli("plan", "-s", path), path, why)


def test_a_device_file_that_is_a_fifo_is_refused(cli, tmp_path):
    path, why = _not_regular(tmp_path, "fifo")
    one_line_error(cli("plan", "-d", path, "-m", "mlp"), path, why)


def test_a_model_file_that_is_a_fifo_is_refused(cli, tmp_path):
    path = tmp_path / "net.onnx"
    os.mkfifo(path)
    one_line_error(cli("plan", "-d", "nrf52840", "-m", str(path)), str(path), "not a regular file")


def test_an_irradiance_csv_that_is_dev_zero_is_refused(cli, tmp_path):
    text = (ROOT / "examples" / "solar_vww.toml").read_text()
    text = text.replace("latitude_deg = 48.0", 'irradiance_csv = "/dev/zero"')
    scenario = tmp_path / "s.toml"
    scenario.write_text(text)
    result = cli("lifetime", "-s", str(scenario), "--horizon", "1d")
    one_line_error(result, "/dev/zero", "not a regular file")


def test_a_file_past_the_size_cap_is_refused_unread(cli, tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: no disk is used, but the size says so
    one_line_error(cli("plan", "-s", str(path)), str(path), f"at most {MAX_INPUT_BYTES:,} bytes")


@pytest.mark.parametrize("nesting", ["array", "table"])
def test_toml_nested_past_the_recursion_limit_is_one_error(cli, tmp_path, nesting):
    depth = 20_000
    body = "[" * depth + "]" * depth if nesting == "array" else "{a = " * depth + "1" + "}" * depth
    path = tmp_path / "deep.toml"
    path.write_text(f"x = {body}\n")
    one_line_error(cli("plan", "-s", str(path)), str(path), "nested")


def test_a_scenario_nested_deeper_than_a_scenario_is_refused(cli, tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(
        '[device]\nname = "nrf52840"\n[model]\nname = "mlp"\n[plan]\nsparse_weights = '
        + "{a = " * 8
        + "1"
        + "}" * 8
        + "\n"
    )
    one_line_error(cli("plan", "-s", str(path)), "plan.sparse_weights", "levels")


@pytest.mark.parametrize("flag", ["--dataset", "--weights"])
def test_training_data_files_must_be_regular_files(cli, tmp_path, flag):
    path = tmp_path / "data.npz"
    os.mkfifo(path)
    result = cli("train", "-d", "nrf52840", "-m", "mlp", flag, str(path))
    one_line_error(result, str(path), "not a regular file")


@pytest.mark.parametrize(("flag", "cut"), [("--dataset", 0), ("--weights", 0.5)])
def test_an_empty_or_truncated_npz_is_an_input_error_not_an_interrupt(cli, tmp_path, flag, cut):
    import numpy as np

    whole = tmp_path / "whole.npz"
    np.savez(whole, x=np.zeros((4, 64), np.float32), y=np.zeros(4, np.int64))
    data = whole.read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: int(len(data) * cut)])  # 0 bytes: numpy raises EOFError, which click takes for ^D
    result = cli("train", "-d", "nrf52840", "-m", "mlp", flag, str(path))
    one_line_error(result, str(path), "a readable .npz file")


def test_a_path_with_a_nul_character_is_an_input_error(cli, tmp_path):
    text = (ROOT / "examples" / "solar_vww.toml").read_text()
    text = text.replace("latitude_deg = 48.0", 'irradiance_csv = "a\\u0000b.csv"')
    scenario = tmp_path / "s.toml"
    scenario.write_text(text)
    one_line_error(cli("lifetime", "-s", str(scenario), "--horizon", "1d"), "without NUL characters")
