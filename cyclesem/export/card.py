"""The model card of an exported network: Markdown documentation and citations.

The card says what the network does, how it was trained, what a consumer must
do around it (the percentile normalisation in, its inverse out) and which
papers to cite. No TensorFlow, ONNX or bioimage.io library is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyclesem import __version__
from cyclesem.restore.network_info import STRIDE, NetworkInfo

__all__ = ["Citation", "CITATIONS", "citations_for", "model_card", "summary"]


@dataclass(frozen=True)
class Citation:
    """A paper to cite: ``text`` (authors, title, venue, year) and its DOI."""

    text: str
    doi: str


CITATIONS = {
    "cyclegan": Citation(
        "Zhu, J.-Y., Park, T., Isola, P. and Efros, A. A. Unpaired Image-to-Image Translation using "
        "Cycle-Consistent Adversarial Networks. ICCV 2017.", "10.1109/ICCV.2017.244"),
    "nafnet": Citation(
        "Chen, L., Chu, X., Zhang, X. and Sun, J. Simple Baselines for Image Restoration. ECCV 2022.",
        "10.1007/978-3-031-20071-7_2"),
    "midnet": Citation(
        "Wang, J., Li, Z., Shi, P., Yu, H. and Sun, D. MIDNet: Deblurring Network for Material "
        "Microstructure Images. Computers, Materials & Continua 79(1), 1187-1204, 2024.",
        "10.32604/cmc.2024.046929"),
}
_WHAT = {
    "cyclegan": "the blurry-to-clear generator of a CycleGAN trained on unpaired blurry and clear images "
                "(a multi-scale U-Net with instance normalisation using moving statistics and a bounded "
                "residual output)",
    "midnet": "a MIDNet (NAFNet blocks with attention-gated skips) trained on pairs of blurry and sharp images",
    "nafnet": "a NAFNet trained on pairs of blurry and sharp images",
}


def citations_for(kind: str) -> list[Citation]:
    """The papers behind a network kind (MIDNet builds on NAFNet, so both)."""
    keys = {"cyclegan": ["cyclegan"], "midnet": ["midnet", "nafnet"], "nafnet": ["nafnet"]}
    return [CITATIONS[key] for key in keys.get(kind, [])]


def summary(info: NetworkInfo) -> str:
    """One sentence for the package's description field."""
    what = _WHAT.get(info.kind, f"a {info.kind} network")
    return f"Sharpens blurry scanning electron microscope (SEM) images: {what}, exported by cyclesem."


def model_card(info: NetworkInfo, *, test_shape: tuple[int, int], halo: int) -> str:
    """The Markdown model card (the package's documentation).

    Parameters
    ----------
    info : NetworkInfo
        The exported network.
    test_shape : tuple of int
        Height and width of the package's test tensors.
    halo : int
        Pixels a tiling consumer discards at each tile edge.
    """
    sections = [
        [f"# {info.name}: SEM image sharpening ({info.kind})", "", summary(info)],
        ["## Training", "", f"- Source: {info.source or info.name}",
         f"- Exported with cyclesem {__version__} (`cyclesem export RUN --format bioimageio`).",
         "- Input images were single-channel SEM micrographs above the instrument's info bar."],
        _usage(info, halo),
        _validation(test_shape),
        ["## Limits", "",
         "A network restores what its training images taught it: blur of the kind and width it saw, at "
         "that pixel size. Check enhanced images against an in-focus reference before measuring on them."],
        ["## Cite", ""] + [f"- {c.text} https://doi.org/{c.doi}" for c in citations_for(info.kind)],
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def _usage(info: NetworkInfo, halo: int) -> list[str]:
    """Input, output, and what a consumer must do around the network."""
    low, high = info.norm_low, info.norm_high
    return [
        "## Input and output",
        "",
        "- Input `input`: float32, axes `batch, y, x, channel` (one grey channel), any height and width; "
        f"use sizes that are multiples of {STRIDE} (the network pads to one internally by reflection).",
        f"- Preprocessing (in the package): `scale_range` over `y, x` per image, the {low:g}th percentile "
        f"to 0 and the {high:g}th to 1.",
        "- Output `output`: float32, the same axes and size, in those **normalised units** (about 0..1).",
        "",
        "## What a consumer must do",
        "",
        "The bioimage.io format has no postprocessing step that undoes a percentile normalisation, so the "
        "output is left normalised. To get the input's grey levels back (what `cyclesem enhance` writes):",
        "",
        f"1. `p_low`, `p_high` = the {low:g}th and {high:g}th percentiles of the whole input image;",
        "2. `enhanced = output * (p_high - p_low) + p_low`.",
        "",
        f"Tile large images on a {STRIDE}-pixel grid and discard a halo of {halo} pixels at inner tile edges "
        "(the package declares it). Compute the percentiles once for the whole image, not per tile: "
        "`cyclesem enhance PKG.zip IMAGE --out DIR` does both, keeps 8/16-bit depth, TIFF metadata and "
        "the info bar, with onnxruntime only (`pip install 'cyclesem[onnx]'`).",
    ]


def _validation(test_shape: tuple[int, int]) -> list[str]:
    """How the package was checked, and its files."""
    return [
        "## Validation",
        "",
        f"The test input is a {test_shape[0]}x{test_shape[1]} crop of a real image handed to the export; "
        "the test output is this network's output on it (onnxruntime), and the cover shows the crop "
        "before and after. `bioimageio test` reproduces the test output from the test input. cyclesem's "
        "own tests check that the ONNX network equals the Keras one within 1e-4 on images of odd sizes. "
        "How well the network restores was measured, if at all, in its training run (validation scores "
        "in its `state.json`), not by this package.",
        "",
        "## Files",
        "",
        "- `weights.onnx`: the network (opset 17), with cyclesem's metadata (kind, percentiles).",
        "- `weights.keras` (when attached): the Keras 3 network; it loads with `safe_mode=True` after "
        "`import cyclesem.nets`, which registers its layers.",
    ]
