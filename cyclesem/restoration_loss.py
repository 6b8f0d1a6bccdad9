"""The supervised restoration loss of MIDNet: pixels, edges and spectrum.

``L = l1 * L1 + edge * L_edge + fft * L_fft`` with default weights 1, 0.05 and
0.01 (:class:`RestorationLossWeights`):

- ``L1``: mean absolute difference of the images (:func:`cyclesem.losses.l1_loss`).
- ``L_edge``: mean absolute difference of their **Sobel** gradients (both
  directions, reflect-padded borders, as :func:`keras.ops.image.sobel_edges`).
- ``L_fft``: mean absolute difference of their unnormalised 2-D FFTs, over the
  real and imaginary parts together (``mean(|dRe|, |dIm|)`` over all
  frequencies). A constant offset ``c`` on an N x N image appears only at DC
  (``c * N**2``), so it costs ``c / 2``.

Images are ``(batch, height, width, channels)``; everything is computed with
:mod:`keras.ops` in float32 (portable to JAX, safe under mixed precision).
"""

from __future__ import annotations

from dataclasses import dataclass

from keras import ops

from cyclesem.losses import l1_loss

__all__ = ["RestorationLossWeights", "l1_loss", "edge_loss", "fft_loss", "restoration_loss_terms"]


@dataclass(frozen=True)
class RestorationLossWeights:
    """Weights of the three terms (MIDNet's recipe by default)."""

    l1: float = 1.0
    edge: float = 0.05
    fft: float = 0.01

    def check(self) -> list[str]:
        """Problems with the weights (for :func:`cyclesem.config.build`)."""
        return [f"loss weight '{name}' must be >= 0, got {value}"
                for name, value in vars(self).items() if value < 0]


def _float32(images):
    return ops.cast(images, "float32")


def edge_loss(predicted, target):
    """Mean absolute difference of the Sobel gradients (y and x) of two batches."""
    edges_predicted = ops.image.sobel_edges(_float32(predicted))
    edges_target = ops.image.sobel_edges(_float32(target))
    return ops.mean(ops.abs(edges_predicted - edges_target))


def fft_loss(predicted, target):
    """Mean absolute difference of the 2-D FFTs' real and imaginary parts.

    The FFT runs over height and width of each image and channel, unnormalised.
    """
    difference = ops.transpose(_float32(predicted) - _float32(target), (0, 3, 1, 2))
    real, imag = ops.fft2((difference, ops.zeros_like(difference)))
    return (ops.mean(ops.abs(real)) + ops.mean(ops.abs(imag))) / 2.0


def restoration_loss_terms(predicted, target, weights: RestorationLossWeights = RestorationLossWeights()) -> dict:
    """The three loss terms and their weighted sum.

    Parameters
    ----------
    predicted, target : tensor, shape (batch, height, width, channels)
    weights : RestorationLossWeights

    Returns
    -------
    dict
        Scalars ``l1``, ``edge``, ``fft`` (unweighted) and ``total`` (weighted sum).
    """
    terms = {
        "l1": l1_loss(predicted, target),
        "edge": edge_loss(predicted, target),
        "fft": fft_loss(predicted, target),
    }
    terms["total"] = weights.l1 * terms["l1"] + weights.edge * terms["edge"] + weights.fft * terms["fft"]
    return terms
