"""``tinyemu train``'s stderr: a status while the first epoch compiles the kernels, and the one-time note."""

import io
from itertools import count

from rich.console import Console

import cli.render.train as render_train
from cli.render.train import COMPILE_NOTE, epoch_progress


def terminal():
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=200), buffer


def test_the_bar_says_the_first_epoch_compiles_and_notes_the_compile(monkeypatch):
    stamps = count()  # the kernel cache changes during the run: it compiled
    monkeypatch.setattr(render_train, "kernel_cache_stamp", lambda: float(next(stamps)))
    err, buffer = terminal()
    with epoch_progress(2, err=err) as advance:
        assert advance is not None
        err.file.flush()
        advance("pretrain", 1, 1, 0.5)
        advance("finetune", 1, 1, 0.4)
    text = buffer.getvalue()
    assert COMPILE_NOTE in text and "one-time cost" in text and "compiled the Numba kernels" in text


def test_no_compile_note_when_the_cache_did_not_change(monkeypatch):
    monkeypatch.setattr(render_train, "kernel_cache_stamp", lambda: 1.0)
    err, buffer = terminal()
    with epoch_progress(1, err=err) as advance:
        advance("finetune", 1, 1, 0.4)
    assert "compiled the Numba kernels" not in buffer.getvalue()


def test_nothing_when_stderr_is_not_a_terminal():
    buffer = io.StringIO()
    with epoch_progress(3, err=Console(file=buffer, force_terminal=False)) as advance:
        assert advance is None
    assert buffer.getvalue() == ""


def test_the_kernel_cache_stamp_is_a_time():
    assert render_train.kernel_cache_stamp() >= 0.0


def test_the_lifetime_bar_follows_the_simulated_days():
    from cli.render.lifetime import days_progress

    err, buffer = terminal()
    with days_progress(True, err=err) as advance:
        assert advance is not None
        advance(0.0, 10 * 86400.0)
        advance(5 * 86400.0, 10 * 86400.0)
        err.file.flush()
    assert "of 10 days" in buffer.getvalue()
    with days_progress(False, err=err) as advance:
        assert advance is None


def test_lifetime_reports_progress_up_to_the_horizon():
    from pathlib import Path

    import emu

    scenario = emu.Scenario.from_toml(Path(__file__).parents[2] / "examples" / "kws_coin_cell.toml")
    seen = []
    result = emu.lifetime(scenario, horizon_s="3d", mode="full", progress=lambda t, h: seen.append((t, h)))
    assert seen and all(h == 3 * 86400.0 for _, h in seen)
    assert [t for t, _ in seen] == sorted(t for t, _ in seen) and seen[-1][0] <= result.horizon_s
    assert result == emu.lifetime(scenario, horizon_s="3d", mode="full")  # progress cannot change it
