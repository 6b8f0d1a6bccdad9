"""`cyclesem info`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("info", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Describe SEM image files: format, bit depth, pixel size, info bar."""
    not_built_yet("info")
