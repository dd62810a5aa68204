"""Output paths are checked before the run: a directory, a device, /proc or a plot format matplotlib
cannot be asked for is one line and exit code 2, and nothing is written (never a traceback, never a
success message over a file that is not there)."""

import pytest
from cli_checks import one_line_error

RUN = ("run", "-d", "nrf52840", "-m", "mlp")
LIFETIME = ("lifetime", "-d", "nrf52840", "-m", "mlp", "--horizon", "2d")


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("<dir>", "a directory"),
        ("/dev/null", "a device"),
        ("/proc/tinyemu-trace.json", "writable folder"),
        ("<dir>/missing/t.json", "existing folder"),
    ],
)
def test_a_trace_path_that_cannot_take_a_file_is_refused_up_front(cli, tmp_path, target, why):
    target = target.replace("<dir>", str(tmp_path))
    result = cli(*RUN, "--trace", target)
    one_line_error(result, "--trace", target, why)
    assert result.out == ""  # refused before the run: no report printed


def test_a_plot_format_matplotlib_cannot_write_is_refused_before_the_run(cli, tmp_path):
    target = tmp_path / "out.xyz"
    one_line_error(cli(*LIFETIME, "--plot", str(target)), "--plot", ".png, .svg, .pdf")
    assert not target.exists()


def test_a_plot_path_that_is_a_directory_is_refused(cli, tmp_path):
    folder = tmp_path / "plot.png"
    folder.mkdir()
    one_line_error(cli(*LIFETIME, "--plot", str(folder)), "--plot", "a directory")


def test_a_trace_replaces_an_old_file_whole(cli, tmp_path):
    import json

    target = tmp_path / "t.json"
    target.write_text("old")
    result = cli(*RUN, "--trace", str(target))
    assert result.code == 0, result.err
    assert "traceEvents" in json.loads(target.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]  # no temporary file left behind


def test_a_plot_is_written_in_the_format_its_name_asks_for(cli, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "soc.svg"
    result = cli(*LIFETIME, "--plot", str(target))
    assert result.code == 0, result.err
    assert "<svg" in target.read_text()[:2000]
    assert [p.name for p in tmp_path.iterdir()] == ["soc.svg"]
