"""`cyclesem demo` (temporary): write a generated SEM-like image and describe it.

The demo issue replaces this with the full demo; for now it shows reading,
writing and the info bar on an image the project makes itself (no downloads).
"""

from __future__ import annotations

from pathlib import Path

import click

DEMO_FILE = "demo-sem.tif"


@click.command("demo")
@click.option("--out", "out_dir", default="demo-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's files.")
@click.option("--overwrite", is_flag=True, help="Replace files left by an earlier run.")
@click.option("--quick", is_flag=True, help="A smaller image.")
def command(out_dir, overwrite, quick):
    """Run the whole product on generated data (no downloads)."""
    from cyclesem.cli.info import describe
    from cyclesem.io import read_image, write_image

    size = 256 if quick else 512
    frame, bar_rows = demo_frame(size)
    path = write_image(Path(out_dir) / DEMO_FILE, frame, dtype="uint16", overwrite=overwrite)
    click.echo(f"Wrote a generated {size} x {size} SEM-like image with a {bar_rows}-row info bar: {path}")
    click.echo("\n".join(describe(read_image(path).info)))


def demo_frame(size: int, seed: int = 0):
    """A float32 SEM-like frame: bright discs with rims on texture, an info bar below.

    Parameters
    ----------
    size : int
        Height and width in pixels (at least 64).
    seed : int
        Random seed; the same seed gives the same image.

    Returns
    -------
    frame : ndarray of float32, shape (size, size)
        Values in [0, 1].
    bar_rows : int
        Height of the info bar drawn at the bottom.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    bar_rows = max(12, size // 16)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    frame = 0.25 + 0.05 * np.sin(rows / 9.0) * np.cos(cols / 13.0)
    for _ in range(max(6, size // 40)):
        cy, cx = rng.uniform(0, size - bar_rows), rng.uniform(0, size)
        radius = rng.uniform(size / 40, size / 10)
        distance = np.hypot(rows - cy, cols - cx)
        inside = distance < radius
        frame[inside] = 0.55 + 0.3 * (distance[inside] / radius) ** 4  # brighter rim
    frame += rng.normal(0.0, 0.03, frame.shape).astype(np.float32)
    frame = np.clip(frame, 0.0, 1.0)
    _draw_info_bar(frame, bar_rows)
    return frame.astype(np.float32), bar_rows


def _draw_info_bar(frame, bar_rows: int) -> None:
    """A black band with a white scale bar and text-like blocks, in place."""
    size = frame.shape[1]
    band = frame[-bar_rows:]
    band[:] = 0.0
    middle = bar_rows // 2
    band[middle - 1 : middle + 1, size // 2 : size // 2 + size // 4] = 1.0  # scale bar
    for left in range(8, size // 3, 9):  # "text": small glyph-sized blocks
        band[3 : bar_rows - 3, left : left + 5] = 1.0
        band[middle, left + 1 : left + 4] = 0.0
