"""The ``tinyemu`` command: one thin module per subcommand, registered here."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.compare import compare
from cli.devices import devices
from cli.inspect import inspect
from cli.lifetime import lifetime
from cli.models import models
from cli.optimize import optimize
from cli.plan import plan
from cli.render import error
from cli.run import run
from cli.sweep import sweep
from cli.train import train
from cli.validate import validate
from emu.errors import INPUT_ERRORS

app = typer.Typer(
    name="tinyemu",
    help="Memory, time, energy and lifetime of on-device training on microcontrollers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"tinyemu {version('tinyemu')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            print("tinyemu (not installed)")
        raise typer.Exit(0)


@app.callback()
def _main(
    show_version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Memory, time, energy and lifetime of on-device training on microcontrollers."""


app.command()(plan)
app.command()(devices)
app.command()(models)
app.command()(run)
app.command()(validate)
app.command()(inspect)
app.command()(train)
app.command()(lifetime)
app.command()(compare)
app.command()(optimize)
app.command()(sweep)


def main() -> None:
    """Entry point: bad input is one line on stderr and exit code 2, never a traceback."""
    as_json = "--json" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except INPUT_ERRORS as exc:
        error(str(exc), exc, as_json)
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except OSError as exc:
        if exc.filename is None:
            raise
        error(
            f"{exc.filename}: {exc.strerror or exc}: give a path in an existing, writable folder",
            exc,
            as_json,
        )
        sys.exit(2)
    except Exception as exc:
        # usage errors of the command-line parser (click's UsageError family, which typer may vendor)
        exit_code = getattr(exc, "exit_code", None)
        if not (hasattr(exc, "format_message") and isinstance(exit_code, int)):
            raise
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        if exc.format_message():  # empty when the parser has already printed the help
            error(exc.format_message() + hint, None, as_json)
        sys.exit(exit_code)
    sys.exit(code if isinstance(code, int) else 0)
