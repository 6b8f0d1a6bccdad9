"""The PatchGAN discriminator: one realism score per overlapping patch.

Five 4x4 convolutions with strides 2, 2, 2, 1, 1 and ``width``, 2x, 4x, 8x
channels, then one score. LeakyReLU(0.2) after every conv but the last,
instance normalisation (``GroupNormalization(groups=-1)``) on the three inner
ones. With "same" padding an ``H x W`` image gives ``ceil(H/8) x ceil(W/8)``
scores; each sees a 70 x 70 pixel patch. Discriminators are never tiled, so
plain per-instance statistics are right here.
"""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["build_discriminator"]

_STRIDES = (2, 2, 2, 1)


def build_discriminator(settings, *, name: str = "discriminator", dtype_policy=None) -> keras.Model:
    """Build a PatchGAN discriminator.

    Parameters
    ----------
    settings : cyclesem.config.cyclegan.DiscriminatorSettings
        ``width``: channels of the first conv.
    name : str
        The model's name (``disc_clear`` or ``disc_blurry``).
    dtype_policy : str, optional
        ``"mixed_float16"`` for mixed precision; the score layer stays float32.

    Returns
    -------
    keras.Model
        ``(batch, H, W, 1)`` images to ``(batch, ceil(H/8), ceil(W/8), 1)`` scores.
    """
    image = keras.Input((None, None, 1), dtype="float32", name="image")
    x = image
    for index, strides in enumerate(_STRIDES):
        x = layers.Conv2D(settings.width * 2**index, 4, strides=strides, padding="same",
                          dtype=dtype_policy, name=f"conv{index}")(x)
        if index > 0:
            x = layers.GroupNormalization(groups=-1, dtype=dtype_policy, name=f"norm{index}")(x)
        x = layers.LeakyReLU(0.2, dtype=dtype_policy, name=f"lrelu{index}")(x)
    scores = layers.Conv2D(1, 4, padding="same", dtype="float32", name="score")(x)
    return keras.Model(image, scores, name=name)
