"""Finding the instrument's info bar (data bar) at the bottom of an SEM image.

SEM software draws a band under the micrograph with the scale bar, high voltage,
magnification and so on (FEI/Thermo, JEOL, Zeiss, Hitachi all do). Every later
step works on the micrograph above it and puts the bar back unchanged, so the
bar must be found reliably, and a plain micrograph must never lose rows to a
false bar.

The test here is image analysis on grey levels (the image is rescaled to 256
levels between robust percentiles). A bar is a band of bottom rows that

* are *flat*: drawn rows are long runs of one grey level (background, text
  (background and text), which a noisy or textured micrograph never does;
* starts with a uniform row (text never touches the bar's top edge), so the
  boundary with the micrograph is one straight, full-width line;
* holds *ink*: pixels in strong contrast with the bar's background (text,
  scale bar), so a naturally dark or saturated bottom is not taken for a bar;
* sits under rows that are *busy* (the micrograph), not more of the same.

Vendor metadata (for FEI, the frame height minus ``Image.ResolutionY``) is a
hint: it is used when the band it names passes the same test.
"""

from __future__ import annotations

import numpy as np

__all__ = ["find_info_bar"]

LEVELS = 256
LEVEL_TOLERANCE = 2  # grey levels (of 256) that still count as the same level
FLAT_ROW = 0.5  # share of a bar row's adjacent pixels on the same grey level
UNIFORM_ROW = 0.95  # share of the bar's top row covered by one grey level
BUSY_ROW = 0.4  # the micrograph above: median flatness must stay below this
INK_CONTRAST = 64  # grey levels between the bar's background and its text
INK_SHARE = (0.002, 0.5)  # share of the bar's pixels that are ink
MIN_BAR_ROWS = 6
MAX_BAR_SHARE = 1 / 3  # a bar is never more than a third of the frame
ROWS_ABOVE = 16  # micrograph rows checked above a candidate bar
SAMPLE_PIXELS = 250_000  # pixels sampled for the grey-level percentiles


def find_info_bar(pixels: np.ndarray, hint_rows: int | None = None) -> int:
    """Return how many bottom rows of ``pixels`` form the instrument's info bar.

    Parameters
    ----------
    pixels : ndarray, shape (H, W)
        The whole frame, any real dtype.
    hint_rows : int, optional
        The bar height that vendor metadata suggests; taken when the band of
        that height looks like a bar, otherwise the image analysis decides.

    Returns
    -------
    int
        Number of rows at the bottom that belong to the bar; 0 if there is none.

    Examples
    --------
    >>> frame = np.random.default_rng(0).random((120, 100))
    >>> frame[-20:] = 0.0
    >>> frame[-12:-6, 10:60] = 1.0  # a white scale bar on a black band
    >>> find_info_bar(frame)
    20
    >>> find_info_bar(np.random.default_rng(1).random((120, 100)))
    0
    """
    pixels = np.asarray(pixels)
    height, width = pixels.shape
    if height < 3 * MIN_BAR_ROWS or width < 16:
        return 0
    search = min(height, int(height * MAX_BAR_SHARE) + ROWS_ABOVE + 1)
    levels = _grey_levels(pixels, search)
    if levels is None:
        return 0
    flatness = _row_flatness(levels)
    candidates = [hint_rows] if hint_rows else []
    candidates.append(_flat_run_from_bottom(flatness))
    for rows in candidates:
        if _looks_like_bar(levels, flatness, rows, height):
            return int(rows)
    return 0


def _grey_levels(pixels: np.ndarray, bottom_rows: int) -> np.ndarray | None:
    """Bottom rows of ``pixels`` as integer levels 0..255 between robust percentiles."""
    stride = max(1, int(np.sqrt(pixels.size / SAMPLE_PIXELS)))
    sample = pixels[::stride, ::stride].astype(np.float64).ravel()
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return None
    low, high = np.percentile(sample, [0.5, 99.5])
    if not high > low:
        low, high = sample.min(), sample.max()
        if not high > low:
            return None
    scaled = (pixels[-bottom_rows:].astype(np.float32) - np.float32(low)) * np.float32((LEVELS - 1) / (high - low))
    np.clip(scaled, 0, LEVELS - 1, out=scaled)
    scaled[np.isnan(scaled)] = 0
    return np.rint(scaled).astype(np.int16)


def _row_flatness(levels: np.ndarray) -> np.ndarray:
    """Share of horizontally adjacent pixels on the same grey level, per row.

    Drawn rows (background with text) are long runs of one level; a micrograph's
    noise and texture change level from pixel to pixel.
    """
    return (np.diff(levels, axis=1) == 0).mean(axis=1)


def _flat_run_from_bottom(flatness: np.ndarray) -> int:
    """Number of consecutive flat rows counted up from the bottom."""
    busy = np.flatnonzero(flatness[::-1] < FLAT_ROW)
    return int(busy[0]) if busy.size else len(flatness)


def _looks_like_bar(levels: np.ndarray, flatness: np.ndarray, rows: int, height: int) -> bool:
    """Whether the bottom ``rows`` rows pass every test of a bar (module docstring)."""
    if not MIN_BAR_ROWS <= rows <= height * MAX_BAR_SHARE or rows + 1 > len(flatness):
        return False
    band = levels[-rows:]
    above = flatness[-rows - ROWS_ABOVE : -rows] if rows + ROWS_ABOVE <= len(flatness) else None
    if above is None or above.size == 0 or np.median(above) >= BUSY_ROW:
        return False
    if not np.all(flatness[-rows:] >= FLAT_ROW):
        return False
    if _dominant_level(band[0])[1] < UNIFORM_ROW:
        return False
    return _has_ink(band)


def _dominant_level(levels: np.ndarray) -> tuple[int, float]:
    """The most common grey level of ``levels`` (with tolerance) and its share."""
    counts = np.bincount(levels.ravel(), minlength=LEVELS)
    windows = np.convolve(counts, np.ones(2 * LEVEL_TOLERANCE + 1), mode="same")
    level = int(windows.argmax())
    return level, float(windows[level] / levels.size)


def _has_ink(band: np.ndarray) -> bool:
    """Whether the band holds text or a scale bar in contrast with its background."""
    background, _ = _dominant_level(band)
    ink = np.abs(band - background) >= INK_CONTRAST
    low, high = INK_SHARE
    return bool(low <= ink.mean() <= high)
