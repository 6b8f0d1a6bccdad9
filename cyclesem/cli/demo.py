"""`cyclesem demo`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("demo", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Run the whole product on generated data (no downloads)."""
    not_built_yet("demo")
