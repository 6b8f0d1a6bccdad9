"""`cyclesem compare`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("compare", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Score methods on a benchmark or real pairs; write a report."""
    not_built_yet("compare")
