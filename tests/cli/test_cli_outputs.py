"""Output files and odd plan values are input errors too: one line, exit code 2, never a traceback."""


def test_unwritable_output_paths_are_input_errors(cli, tmp_path):
    missing = tmp_path / "no_such_folder"
    for args in (
        ("run", "-d", "nrf52840", "-m", "mlp", "--trace", str(missing / "t.json")),
        ("lifetime", "-d", "nrf52840", "-m", "mlp", "--horizon", "2d", "--plot", str(missing / "p.png")),
    ):
        result = cli(*args)
        assert result.code == 2, (args, result.err)
        assert str(missing) in result.err and "Traceback" not in result.err


def test_sparse_weights_must_be_a_table(cli):
    result = cli(
        "plan", "-d", "nrf52840", "-m", "mlp", "--update", "sparse", "--set", "plan.sparse_weights=3"
    )
    assert result.code == 2
    assert "plan.sparse_weights" in result.err and "Traceback" not in result.err


def test_json_is_strict_even_where_a_value_is_undefined(cli):
    import json

    result = cli("train", "-d", "stm32l4r5", "-m", "mlp", "--update", "none", "--epochs", "1", "--json")
    assert result.code == 0, result.err

    def refuse(token):
        raise ValueError(token)

    data = json.loads(result.out, parse_constant=refuse)  # NaN / Infinity would raise
    assert data["loss_curve"] == [None]  # nothing trains: no loss
