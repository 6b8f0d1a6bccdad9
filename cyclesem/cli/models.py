"""`cyclesem models`: the pretrained networks shipped in the package, and their cards."""

from __future__ import annotations

import click


@click.group("models", invoke_without_command=True)
@click.pass_context
def command(ctx):
    """List the pretrained models, one line each (`cyclesem models show NAME` prints a card).

    A model name works wherever a run folder does: `cyclesem enhance --model
    sem-deblur IMAGES... --out DIR`, `cyclesem compare --methods identity,sem-deblur`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from cyclesem.pretrained import model_names, summary

    names = model_names()
    width = max((len(name) for name in names), default=0)
    for name in names:
        click.echo(f"{name:<{width}}  {summary(name)}")


@command.command("show")
@click.argument("name")
def show(name):
    """Print the model card of NAME."""
    from cyclesem.pretrained import card

    click.echo(card(name), nl=False)
