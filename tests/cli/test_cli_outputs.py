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
