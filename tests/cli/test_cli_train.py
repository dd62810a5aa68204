"""`tinyemu train`: JSON contract, table, bad dataset and weights files exit 2 with one line."""

import json

import numpy as np


def test_train_json_keys_and_table(cli, tmp_path):
    out = tmp_path / "w.npz"
    r = cli(
        "train",
        "--scenario",
        "examples/digits_personalise.toml",
        "--epochs",
        "1",
        "--pretrain-epochs",
        "2",
        "--save-weights",
        str(out),
        "--json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    for key in ("accuracy_before", "accuracy_after", "loss_curve", "samples", "macs_by_phase"):
        assert key in doc
    assert r.err == ""  # no progress bar with --json
    assert out.exists()
    table = cli(
        "train", "--scenario", "examples/digits_personalise.toml", "--epochs", "1", "--weights", str(out)
    )
    assert table.code == 0, table.err
    assert "after fine-tuning" in table.out and "forward MACs" in table.out


def test_bad_dataset_and_weights_exit_2(cli, tmp_path):
    bad = tmp_path / "d.npz"
    np.savez(bad, x=np.zeros((5, 3)), y=np.zeros(5, int))
    r = cli("train", "--device", "stm32l4r5", "--model", "lenet-digits", "--dataset", str(bad))
    assert r.code == 2 and "d.npz" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    w = tmp_path / "w.npz"
    np.savez(w, **{"conv2d_0/weight": np.zeros((2, 2))})
    r = cli("train", "--device", "stm32l4r5", "--model", "lenet-digits", "--weights", str(w))
    assert r.code == 2 and "conv2d_0/weight" in r.err and "(3, 3, 1, 8)" in r.err
