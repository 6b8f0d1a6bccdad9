"""`cyclesem compare`: score restoration methods on a benchmark or real pairs."""

from __future__ import annotations

import shlex

import click

from cyclesem.cli._common import report_failures
from cyclesem.errors import CyclesemError

DEFAULT_METHODS = "identity,wiener,self_wiener,blind,rl,unsharp"


@click.command("compare")
@click.option("--benchmark", type=click.Path(), metavar="DIR", help="A benchmark folder from 'cyclesem synth'.")
@click.option("--pairs", nargs=2, type=click.Path(), metavar="BLURRY SHARP", help="Folders of real pairs, matched by name.")
@click.option("--register", is_flag=True, help="Register each pair (sub-pixel) and score only the overlap.")
@click.option(
    "--methods",
    default=DEFAULT_METHODS,
    show_default=True,
    metavar="LIST",
    help="Comma-separated: identity, wiener, self_wiener, blind, rl, rl_tv, unsharp, packaged models "
         "(cyclesem models) or run folders.",
)
@click.option("--out", required=True, type=click.Path(), metavar="DIR", help="Folder for metrics.csv and the reports.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run the images as tasks on a local Dask cluster of this many worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run them on a running Dask cluster (tcp://host:8786); its workers must see the same paths.")
def command(benchmark, pairs, register, methods, out, overwrite, workers, scheduler):
    """Score methods on a benchmark or real pairs; write a report.

    Runs each method on the test images (benchmark: test/blurry, with the true
    PSF from test/psf for wiener, self_wiener and rl; pairs: no PSF, so those are
    skipped), scores them against the clear images (PSNR, SSIM, AG, CON, SF,
    focus, seconds) and writes OUT/metrics.csv, OUT/report.md and a
    self-contained OUT/report.html. A failing method or image is reported at the
    end (exit status 1); the rest goes on. --workers / --scheduler run every
    image (all methods on it) as a task on a Dask cluster
    (pip install 'cyclesem[distributed]'); the report is the same.
    """
    import contextlib

    from cyclesem.evaluate import compare  # numpy/scipy work; TensorFlow only for run folders

    if (benchmark is None) == (not pairs):
        raise CyclesemError("give either --benchmark DIR or --pairs BLURRY_DIR SHARP_DIR")
    source = compare.benchmark_source(benchmark) if benchmark else compare.pairs_source(*pairs)
    names = [name for name in methods.split(",") if name.strip()]
    command_line = _command_line(benchmark, pairs, register, methods, out, overwrite)
    if workers and scheduler:
        raise click.UsageError("give --workers or --scheduler, not both")
    cluster = contextlib.nullcontext()
    if workers or scheduler:
        from cyclesem.restore.distributed import cluster_client

        cluster = cluster_client(workers, scheduler)
    with cluster as client:
        result = compare.run_comparison(source, names, out, register=register, overwrite=overwrite,
                                        command=command_line, client=client)
    click.echo(result.table())
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Report: {result.report_html}")
    report_failures(result.failures, total=len(source.items) * len(names))


def _command_line(benchmark, pairs, register, methods, out, overwrite) -> str:
    """The command as a user would type it, for the report."""
    words = ["cyclesem", "compare"]
    words += ["--benchmark", benchmark] if benchmark else ["--pairs", *pairs]
    words += ["--register"] if register else []
    words += ["--methods", methods, "--out", out]
    words += ["--overwrite"] if overwrite else []
    return shlex.join(words)
