"""`cyclesem synth`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("synth", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Generate a benchmark: phantoms or real images, degraded by a recipe."""
    not_built_yet("synth")
