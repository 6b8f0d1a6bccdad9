"""`cyclesem train`."""

from __future__ import annotations

import click

from cyclesem.cli._common import not_built_yet


@click.command("train", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Train a network: unpaired CycleGAN or paired MIDNet/NAFNet."""
    not_built_yet("train")
