"""`cyclesem focus INPUT... [--out DIR]`: where images are out of focus, for triage."""

from __future__ import annotations

import csv
import io as text_io
import sys
from pathlib import Path

import click

from cyclesem.cli._common import report_failures
from cyclesem.errors import CyclesemError

COLUMNS = ("file", "verdict", "median_px", "p90_px", "max_px", "blurred_fraction", "noise_sigma", "edge_points", "map")


@click.command("focus")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Folder for focus.csv and one <name>_defocus.png per image (written whole at the end).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out folder.")
@click.option(
    "--cell", type=click.IntRange(min=16), default=None,
    help="Map grid cell side (px); default an eighth of the shorter side, within 16..64.",
)
def command(inputs, out_dir, overwrite, cell):
    """Map the local blur of image files (or folders of them) and give a verdict each.

    The map is the local blur width in pixels (standard deviation of a
    Gaussian PSF, the instrument's own sharpness included: sharp SEM images
    read about 1 to 2.3 px at the median) on a coarse grid, smoothed.
    Verdicts: "in focus" when at most 15% of the area is wider than 2.5 px,
    "out of focus" when at least 90% is, "partly" in between, "no detail" when no edge stands above the
    noise. Without --out the CSV goes to standard output; with --out it goes
    to DIR/focus.csv beside the maps. A file that fails is reported at the
    end, one line each, and the exit status is non-zero.
    """
    from cyclesem.io.outputs import check_output_folder

    if out_dir is not None:
        check_output_folder(out_dir, overwrite, inputs=inputs)  # refuse before any work
    paths, failures = _list(inputs)
    rows, pictures = [], {}
    for path in paths:
        try:
            row, picture = _measure(path, cell, with_picture=out_dir is not None)
        except (CyclesemError, ValueError) as exc:
            failures.append((str(path), exc.problem if isinstance(exc, CyclesemError) else str(exc)))
            continue
        rows.append(row)
        if picture is not None:
            pictures[row["map"]] = picture
    if out_dir is None:
        sys.stdout.write(_csv_text(rows))
    elif rows:
        _write_folder(out_dir, overwrite, rows, pictures)
        click.echo(f"{len(rows)} map(s) and focus.csv written to {out_dir}", err=True)
    report_failures(failures, len(paths) + sum(1 for path, _ in failures if path not in map(str, paths)))


def _list(inputs) -> tuple[list[Path], list[tuple[str, str]]]:
    from cyclesem.io import list_images

    paths, failures = [], []
    for item in inputs:
        try:
            paths.extend(list_images([item]))
        except CyclesemError as exc:
            failures.append((str(exc.path or item), exc.problem))
    return paths, failures


def _measure(path: Path, cell: int, *, with_picture: bool) -> tuple[dict, bytes | None]:
    from cyclesem.restore.defocus import defocus_map
    from cyclesem.io import read_image

    content = read_image(path).content
    defocus = defocus_map(content, cell=cell)
    summary = defocus.summary()
    name = f"{path.stem}_defocus.png" if with_picture else ""
    row = {"file": str(path), **summary, "map": name}
    picture = None
    if with_picture:
        from cyclesem.evaluate.defocus_figure import defocus_png

        picture = defocus_png(content, defocus, path.name)
    return row, picture


def _csv_text(rows: list[dict]) -> str:
    buffer = text_io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row[key]) for key in COLUMNS})
    return buffer.getvalue()


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _write_folder(out_dir: Path, overwrite: bool, rows: list[dict], pictures: dict[str, bytes]) -> None:
    from cyclesem.io.outputs import building_folder

    names = [row["map"] for row in rows]
    if len(set(names)) != len(names):
        raise CyclesemError("two inputs share a file name; their maps would collide", out_dir)
    with building_folder(out_dir, overwrite=overwrite) as temp:
        (temp / "focus.csv").write_text(_csv_text(rows))
        for name, picture in pictures.items():
            (temp / name).write_bytes(picture)
