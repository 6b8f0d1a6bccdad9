"""`cyclesem demo`: the whole product on generated data, no downloads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click


@click.command("demo")
@click.option("--out", "out_dir", default="demo-out", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the demo's outputs.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier demo in --out.")
@click.option("--quick", is_flag=True, help="Seconds-long smoke run of every stage (tiny images, 2 steps).")
@click.option("--steps", type=click.IntRange(min=1), help="Training steps (default: 2000; --quick: 2).")
def command(out_dir, overwrite, quick, steps):
    """Run the whole product on generated data (no downloads).

    Makes SEM-like phantoms and a blur benchmark (cyclesem synth), trains an
    unpaired CycleGAN on it (cyclesem train --unpaired), enhances the test
    images (cyclesem enhance) and compares the result with classical methods
    (cyclesem compare). Prints the summary table and the path of report.html.
    """
    from cyclesem.backend import require_tensorflow
    from cyclesem.demo import DEMO, QUICK_DEMO, run_demo
    from synth import make_benchmark

    require_tensorflow()
    settings = QUICK_DEMO if quick else DEMO
    if steps is not None:
        settings = replace(settings, steps=steps)
    result = run_demo(out_dir, settings, make_benchmark=make_benchmark, overwrite=overwrite,
                      echo=lambda line: click.echo(line, err=True))
    comparison = result.comparison
    click.echo("")
    click.echo(comparison.table())
    for note in comparison.notes:
        click.echo(f"Note: {note}")
    for name, problem in comparison.failures:
        click.echo(f"Failed: {name}: {problem}", err=True)
    click.echo(f"\nThe CycleGAN trained {result.steps} steps in {result.train_seconds:.0f} s.")
    click.echo(f"Enhanced test images: {out_dir / 'enhanced'}")
    click.echo(f"Report: {comparison.report_html}")
