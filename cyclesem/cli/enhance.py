"""`cyclesem enhance`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("enhance", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Enhance image files with a trained run folder."""
    not_built_yet("enhance")
