"""Checks the CLI tests share."""


def one_line_error(result, *needles: str) -> None:
    """Bad input: exit code 2, no traceback, one line on stderr holding every needle."""
    assert result.code == 2, (result.code, result.err, result.out)
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
