"""The ``cyclesem`` command line.

Each command lives in its own module of this package and imports heavy
libraries (TensorFlow, matplotlib) only inside its function, so that
``cyclesem --help`` answers at once.
"""

from __future__ import annotations

import os
import sys

import click

from cyclesem import __version__
from cyclesem.cli import compare, demo, enhance, export, focus, info, models, synth, train
from cyclesem.errors import CyclesemError


class _Group(click.Group):
    """A group that turns user errors into one line and a non-zero exit."""

    def list_commands(self, ctx):
        return list(self.commands)  # keep the order of registration

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CyclesemError as exc:
            raise click.ClickException(exc.one_line()) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - last line of defence, no traceback
            if os.environ.get("CYCLESEM_DEBUG"):
                raise
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise click.ClickException(
                f"unexpected error ({type(exc).__name__}): {message} "
                "[set CYCLESEM_DEBUG=1 for the traceback]"
            ) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cyclesem")
def main():
    """Sharpen blurry SEM images.

    Typical session: `cyclesem info` on your files, `cyclesem train --unpaired`
    on a folder of blurry and a folder of clear images, then `cyclesem enhance`.
    `cyclesem demo` shows everything on generated data.
    """


for _module in (info, focus, synth, train, enhance, export, compare, models, demo):
    main.add_command(_module.command)
