"""The CycleGAN generator: a multi-scale U-Net with a bounded residual output.

Layout (``GeneratorSettings`` gives the sizes)::

    image (B, H, W, 1)
      -> reflect-pad bottom/right to a multiple of 16
      -> 7x7 conv                                         level 0, full resolution
      -> 4 x [multi-scale blocks, 3x3 stride-2 conv]      levels 0..3, down
      -> multi-scale blocks                               level 4, the 1/16 bottleneck
      -> 4 x [4x4 stride-2 transposed conv,
              concat skip, 3x3 conv, multi-scale blocks]  levels 3..0, up
      -> 7x7 conv to one channel (zero-initialised), crop back to H x W
      -> image + residual_scale * tanh(residual)

A **multi-scale block** runs parallel 3x3 convolutions with dilations 1, 2 and 3
(receptive fields 3, 5 and 7), each followed by instance norm and ReLU,
concatenates them, fuses them with a 1x1 conv and instance norm, and adds the
block's input. Every conv but the last is followed by
:class:`~cyclesem.nets.layers.InstanceNormalization` (per-instance statistics in
training, moving statistics at inference: see :mod:`cyclesem.nets.layers`).

Because the last conv starts at zero, a fresh generator is exactly the identity,
and training learns a correction of bounded size: an already sharp image passes
through nearly unchanged. The exported network maps ``(batch, H, W, 1)`` float32
to the same shape for any H and W.
"""

from __future__ import annotations

import keras
from keras import layers

from cyclesem.nets.layers import BoundedResidual, CropToMatch, InstanceNormalization, ReflectPadToMultiple

__all__ = ["build_generator", "STRIDE"]

STRIDE = 16
"""Height and width are padded to a multiple of this inside the network."""


class _Builder:
    """Adds named layers of one network, all with the same dtype policy."""

    def __init__(self, name: str, dtype, momentum: float):
        self.name, self.dtype, self.momentum = name, dtype, momentum

    def conv(self, x, channels, kernel, label, *, strides=1, dilation=1):
        # every conv here is followed by instance norm, which makes a bias redundant
        return layers.Conv2D(channels, kernel, strides=strides, dilation_rate=dilation,
                             padding="same", use_bias=False, dtype=self.dtype,
                             name=f"{label}_conv")(x)

    def norm(self, x, label):
        return InstanceNormalization(momentum=self.momentum, dtype=self.dtype, name=f"{label}_norm")(x)

    def conv_norm_relu(self, x, channels, kernel, label, **conv_args):
        x = self.norm(self.conv(x, channels, kernel, label, **conv_args), label)
        return layers.ReLU(dtype=self.dtype, name=f"{label}_relu")(x)

    def up(self, x, channels, label):
        x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", use_bias=False,
                                   dtype=self.dtype, name=f"{label}_upconv")(x)
        x = self.norm(x, label)
        return layers.ReLU(dtype=self.dtype, name=f"{label}_relu")(x)

    def multiscale_block(self, x, channels, dilations, label):
        branch_channels = max(channels // 2, 1)
        branches = [self.conv_norm_relu(x, branch_channels, 3, f"{label}_d{d}", dilation=d)
                    for d in dilations]
        merged = layers.Concatenate(dtype=self.dtype, name=f"{label}_concat")(branches)
        fused = self.norm(self.conv(merged, channels, 1, f"{label}_fuse"), f"{label}_fuse")
        return layers.Add(dtype=self.dtype, name=f"{label}_add")([x, fused])

    def blocks(self, x, count, channels, dilations, label):
        for index in range(count):
            x = self.multiscale_block(x, channels, dilations, f"{label}_block{index}")
        return x


def build_generator(settings, *, name: str = "generator", dtype_policy=None) -> keras.Model:
    """Build the multi-scale U-Net generator.

    Parameters
    ----------
    settings : cyclesem.config.cyclegan.GeneratorSettings
        Width, channel multipliers, blocks per level, dilations, residual scale.
    name : str
        The model's name (``gen_blurry_to_clear`` or ``gen_clear_to_blurry``).
    dtype_policy : str, optional
        ``"mixed_float16"`` for mixed precision; the output layers stay float32.

    Returns
    -------
    keras.Model
        ``(batch, H, W, 1)`` float32 in, the same shape out, any H and W.
    """
    build = _Builder(name, dtype_policy, settings.norm_momentum)
    channels = [settings.width * m for m in settings.channel_multipliers]
    image = keras.Input((None, None, 1), dtype="float32", name="image")
    x = ReflectPadToMultiple(STRIDE, dtype=dtype_policy, name="pad")(image)
    x = build.conv_norm_relu(x, channels[0], 7, "stem")
    skips = []
    for level in range(4):
        x = build.blocks(x, settings.encoder_blocks[level], channels[level], settings.dilations,
                         f"enc{level}")
        skips.append(x)
        x = build.conv_norm_relu(x, channels[level + 1], 3, f"down{level}", strides=2)
    x = build.blocks(x, settings.bottleneck_blocks, channels[4], settings.dilations, "bottleneck")
    for level in reversed(range(4)):
        x = build.up(x, channels[level], f"up{level}")
        x = layers.Concatenate(dtype=dtype_policy, name=f"skip{level}")([x, skips[level]])
        x = build.conv_norm_relu(x, channels[level], 3, f"merge{level}")
        x = build.blocks(x, settings.decoder_blocks[level], channels[level], settings.dilations,
                         f"dec{level}")
    residual = layers.Conv2D(1, 7, padding="same", kernel_initializer="zeros", dtype="float32",
                             name="residual_conv")(x)
    residual = CropToMatch(dtype="float32", name="crop")([residual, image])
    output = BoundedResidual(settings.residual_scale, dtype="float32", name="output")([image, residual])
    return keras.Model(image, output, name=name)
