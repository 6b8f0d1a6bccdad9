"""`cyclesem export RUN --format onnx|bioimageio --out FILE`."""

from __future__ import annotations

from pathlib import Path

import click

FORMATS = ("onnx", "bioimageio")


@click.command("export")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="onnx: one .onnx file; bioimageio: a bioimage.io model package .zip.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (.onnx or .zip).")
@click.option("--sample", type=click.Path(dir_okay=False, path_type=Path),
              help="bioimageio: a real image for the test tensors and cover "
                   "[default: the first image of the run's training blurry folder].")
@click.option("--author", "authors", multiple=True, help="bioimageio: an author's name (repeat for several).")
@click.option("--license", "licence", default="MIT", show_default=True,
              help="bioimageio: SPDX identifier of the weights' licence.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
def command(run, fmt, out, sample, authors, licence, overwrite):
    """Export the enhancement network of the trained RUN folder.

    ONNX files run without TensorFlow (`cyclesem enhance FILE.onnx ...` with
    `pip install 'cyclesem[onnx]'`, or any ONNX runtime); packages open in
    deepImageJ (Fiji), napari and ilastik through bioimage.io. The run's
    percentile normalisation travels with both.
    """
    import tempfile

    from cyclesem.export.files import check_target
    from cyclesem.export.onnx import export_run
    from cyclesem.restore.runs import load_run

    check_target(out, overwrite)
    loaded = load_run(run)
    if fmt == "onnx":
        export_run(loaded, out, overwrite=overwrite)
    else:
        from cyclesem.export.bioimageio import build_package

        image = _sample(loaded, sample)
        with tempfile.TemporaryDirectory(prefix="cyclesem-export-") as folder:
            onnx_path = export_run(loaded, Path(folder) / "weights.onnx")
            keras_path = Path(folder) / "weights.keras"
            loaded.network.save(keras_path)
            build_package(onnx_path, out, image, keras_path=keras_path, authors=authors or ("cyclesem",),
                          license=licence, overwrite=overwrite)
        after = [name for name, on in (("its limit to supported detail (enhance.limit_to_support)",
                                         loaded.limit_to_support),
                                        ("its grey-level step (enhance.keep_grey_levels)", loaded.keep_grey_levels))
                 if on]
        if after:
            click.echo(f"note: the package holds the network only; bioimage.io tools (Fiji, napari) do not apply "
                       f"{' or '.join(after)}, cyclesem and the ONNX file do", err=True)
    click.echo(f"exported {loaded.describe()} to {out}", err=True)


def _sample(run, sample: Path | None):
    """The real image behind the package's test tensors and cover."""
    from cyclesem import io
    from cyclesem.errors import CyclesemError

    if sample is None:
        blurry = str(getattr(getattr(run.config, "data", None), "blurry", "") or "")
        folder = Path(blurry)
        images = io.list_images(folder) if blurry and folder.is_dir() else []
        if not images:
            raise CyclesemError("no sample image: give --sample IMAGE (a real image for the package's "
                                "test tensors and cover); the run's training folder is not here", run.path)
        sample = images[0]
    return io.read_image(sample).content
