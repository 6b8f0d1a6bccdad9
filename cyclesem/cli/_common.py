"""Helpers shared by the CLI commands."""

from __future__ import annotations

import click


def report_failures(failures: list[tuple[str, str]], total: int) -> None:
    """Print a batch's failures (path, problem) at the end and exit non-zero if any.

    Parameters
    ----------
    failures : list of (str, str)
        The files that failed and why.
    total : int
        How many files the batch held.
    """
    if not failures:
        return
    click.echo(f"{len(failures)} of {total} file(s) failed:", err=True)
    for path, problem in failures:
        click.echo(f"  {path}: {problem}", err=True)
    raise click.exceptions.Exit(1)
