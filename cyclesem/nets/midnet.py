"""MIDNet and NAFNet: U-shaped restoration networks of activation-free blocks.

NAFNet (Chen et al., ECCV 2022) stacks "NAF" blocks in a U-shape; MIDNet (Wang
et al., Computers, Materials & Continua 79(1), 2024) is the same network with
attention-gated skip connections. :func:`build_midnet` builds either
(``skip="attention"`` for MIDNet, ``skip="add"`` for the NAFNet ablation) as a
functional :class:`keras.Model` taking ``(batch, height, width, 1)`` images of
any height and width and returning ``input + predicted residual``.

Every layer here is written with :mod:`keras.ops` only (portable to JAX) and
registered for safe ``.keras`` loading; there is no ``Lambda`` layer.

Tiling note
-----------
The simplified channel attention pools over the whole image, so a tile's output
depends on the whole tile. With ``local_pool_size`` set, inference
(``training=False``) pools over a window of that size instead (NAFNet's
test-time local converter, TLC), which keeps statistics local and tiled output
consistent with whole-image output; training always pools globally.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from cyclesem.errors import CyclesemError
from cyclesem.nets.layers import CropToMatch, ReflectPadToMultiple, dtype_policy_scope

__all__ = [
    "AttentionGate",
    "MidBlock",
    "PixelShuffle",
    "SimpleGate",
    "SimplifiedChannelAttention",
    "build_midnet",
    "local_mean",
    "with_local_pool",
]

_SERIALIZABLE = keras.saving.register_keras_serializable(package="cyclesem")
_LAYER_NORM_EPSILON = 1e-6


@_SERIALIZABLE
class SimpleGate(layers.Layer):
    """Split the channels in two halves and multiply them (NAFNet's gate)."""

    def call(self, inputs):
        first, second = ops.split(inputs, 2, axis=-1)
        return first * second

    def compute_output_shape(self, input_shape):
        channels = None if input_shape[-1] is None else input_shape[-1] // 2
        return (*input_shape[:-1], channels)


def _window_bounds(length, size: int):
    """First and one-past-last index of a ``size`` window per position, clamped inside."""
    window = ops.minimum(length, size)
    start = ops.clip(ops.arange(length) - window // 2, 0, length - window)
    return start, start + window, window


def local_mean(images, size: int):
    """Mean over a ``size`` x ``size`` window around each pixel (stride 1).

    Windows are clamped inside the image (NAFNet's TLC: an edge pixel takes the
    mean of the nearest full window), so an image no larger than the window gets
    its global mean everywhere. Computed from an integral image with
    :mod:`keras.ops`, in float32, with the global mean taken out first so the
    cumulative sums stay small.

    Parameters
    ----------
    images : tensor, shape (batch, height, width, channels)
    size : int
        Window side in pixels.

    Returns
    -------
    tensor
        Same shape and dtype as ``images``.
    """
    dtype = images.dtype
    values = ops.cast(images, "float32")
    offset = ops.mean(values, axis=(1, 2), keepdims=True)
    integral = ops.cumsum(ops.cumsum(values - offset, axis=1), axis=2)
    integral = ops.pad(integral, [[0, 0], [1, 0], [1, 0], [0, 0]])
    shape = ops.shape(values)
    top, bottom, rows = _window_bounds(shape[1], size)
    left, right, cols = _window_bounds(shape[2], size)

    def corner(row_index, col_index):
        return ops.take(ops.take(integral, row_index, axis=1), col_index, axis=2)

    box = corner(bottom, right) - corner(top, right) - corner(bottom, left) + corner(top, left)
    area = ops.cast(rows * cols, "float32")
    return ops.cast(box / area + offset, dtype)


@_SERIALIZABLE
class SimplifiedChannelAttention(layers.Layer):
    """Scale each channel by a 1x1 conv of its average (NAFNet's SCA).

    Parameters
    ----------
    channels : int
        Channels in and out.
    local_pool_size : int, optional
        At inference, average over windows of this size (TLC, see
        :func:`local_mean`) instead of the whole image. ``None``: always global.
    """

    def __init__(self, channels: int, local_pool_size: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.local_pool_size = local_pool_size
        self.mix = layers.Conv2D(channels, 1, name="mix")

    def build(self, input_shape):
        self.mix.build((None, None, None, self.channels))

    def call(self, inputs, training=None):
        if self.local_pool_size and not training:
            pooled = local_mean(inputs, self.local_pool_size)
        else:
            pooled = ops.mean(inputs, axis=(1, 2), keepdims=True)
        return inputs * self.mix(pooled)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "local_pool_size": self.local_pool_size}


@_SERIALIZABLE
class MidBlock(layers.Layer):
    """NAFNet's block: two residual branches with zero-initialised scales.

    ``y = x + beta * conv(SCA(gate(dwconv(conv(norm(x))))))``, then
    ``out = y + gamma * conv(gate(conv(norm(y))))``. ``beta`` and ``gamma`` are
    per-channel and start at zero, so a fresh block is the identity. There is no
    nonlinear activation: the gates multiply feature halves instead.

    Parameters
    ----------
    channels : int
        Channels in and out.
    expansion : int
        Channel multiplier inside both branches (before the gates halve it).
    local_pool_size : int, optional
        Passed to :class:`SimplifiedChannelAttention`.
    """

    def __init__(self, channels: int, expansion: int = 2, local_pool_size: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.expansion, self.local_pool_size = channels, expansion, local_pool_size
        inner = channels * expansion
        self.norm_spatial = layers.LayerNormalization(epsilon=_LAYER_NORM_EPSILON, name="norm_spatial")
        self.expand_spatial = layers.Conv2D(inner, 1, name="expand_spatial")
        self.depthwise = layers.DepthwiseConv2D(3, padding="same", name="depthwise")
        self.gate = SimpleGate(name="gate")
        self.attention = SimplifiedChannelAttention(inner // 2, local_pool_size, name="attention")
        self.project_spatial = layers.Conv2D(channels, 1, name="project_spatial")
        self.norm_channel = layers.LayerNormalization(epsilon=_LAYER_NORM_EPSILON, name="norm_channel")
        self.expand_channel = layers.Conv2D(inner, 1, name="expand_channel")
        self.project_channel = layers.Conv2D(channels, 1, name="project_channel")

    def build(self, input_shape):
        c, inner = self.channels, self.channels * self.expansion
        for layer, channels_in in [
            (self.norm_spatial, c), (self.expand_spatial, c), (self.depthwise, inner),
            (self.attention, inner // 2), (self.project_spatial, inner // 2),
            (self.norm_channel, c), (self.expand_channel, c), (self.project_channel, inner // 2),
        ]:
            layer.build((None, None, None, channels_in))
        self.beta = self.add_weight(shape=(c,), initializer="zeros", name="beta")
        self.gamma = self.add_weight(shape=(c,), initializer="zeros", name="gamma")

    def call(self, inputs, training=None):
        branch = self.depthwise(self.expand_spatial(self.norm_spatial(inputs)))
        branch = self.attention(self.gate(branch), training=training)
        mixed = inputs + self.beta * self.project_spatial(branch)
        branch = self.gate(self.expand_channel(self.norm_channel(mixed)))
        return mixed + self.gamma * self.project_channel(branch)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "expansion": self.expansion,
            "local_pool_size": self.local_pool_size,
        }


@_SERIALIZABLE
class AttentionGate(layers.Layer):
    """Gate encoder features by the decoder's (attention U-Net's skip gate).

    ``alpha = sigmoid(psi(relu(W_x x_enc + W_g g_dec)))`` with 1x1 convs
    ``W_x``, ``W_g`` and ``psi`` (one output channel, so ``alpha`` weighs
    positions); the layer returns ``g_dec + alpha * x_enc``.

    Parameters
    ----------
    channels : int
        Channels of both the encoder and the decoder features.
    inter_channels : int, optional
        Channels of the gate's hidden features; half of ``channels`` by default.
    """

    def __init__(self, channels: int, inter_channels: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.inter_channels = inter_channels or max(1, channels // 2)
        self.encoder_proj = layers.Conv2D(self.inter_channels, 1, name="encoder_proj")
        self.decoder_proj = layers.Conv2D(self.inter_channels, 1, use_bias=False, name="decoder_proj")
        self.psi = layers.Conv2D(1, 1, name="psi")

    def build(self, input_shape):
        self.encoder_proj.build((None, None, None, self.channels))
        self.decoder_proj.build((None, None, None, self.channels))
        self.psi.build((None, None, None, self.inter_channels))

    def coefficients(self, encoder, decoder):
        """The gate ``alpha`` in (0, 1), shape (batch, height, width, 1)."""
        hidden = ops.relu(self.encoder_proj(encoder) + self.decoder_proj(decoder))
        return ops.sigmoid(self.psi(hidden))

    def call(self, inputs):
        encoder, decoder = inputs
        return decoder + self.coefficients(encoder, decoder) * encoder

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "inter_channels": self.inter_channels}


@_SERIALIZABLE
class PixelShuffle(layers.Layer):
    """Depth to space: (B, H, W, C*r*r) -> (B, H*r, W*r, C), with keras.ops."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        r = self.factor
        shape = ops.shape(inputs)
        height, width, channels = shape[1], shape[2], inputs.shape[-1] // (r * r)
        blocks = ops.reshape(inputs, (-1, height, width, r, r, channels))
        blocks = ops.transpose(blocks, (0, 1, 3, 2, 4, 5))
        return ops.reshape(blocks, (-1, height * r, width * r, channels))

    def compute_output_shape(self, input_shape):
        r = self.factor
        grow = lambda size: None if size is None else size * r  # noqa: E731
        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3] // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _check_sizes(width, enc_blocks, middle_blocks, dec_blocks, skip) -> None:
    problems = []
    if width < 1 or middle_blocks < 0 or min([*enc_blocks, *dec_blocks, 0]) < 0:
        problems.append("width must be positive and block counts non-negative")
    if len(enc_blocks) != len(dec_blocks):
        problems.append(f"enc_blocks {list(enc_blocks)} and dec_blocks {list(dec_blocks)} differ in length")
    if skip not in ("attention", "add"):
        problems.append(f"skip must be 'attention' or 'add', got {skip!r}")
    if problems:
        raise CyclesemError("invalid MIDNet settings: " + "; ".join(problems))


def _blocks(features, count: int, channels: int, local_pool_size, prefix: str):
    for index in range(count):
        features = MidBlock(channels, local_pool_size=local_pool_size, name=f"{prefix}_block{index}")(features)
    return features


def build_midnet(
    width: int,
    enc_blocks,
    middle_blocks: int,
    dec_blocks,
    skip: str = "attention",
    *,
    local_pool_size: int | None = None,
    name: str = "gen_blurry_to_clear",
    dtype_policy: str | None = None,
) -> keras.Model:
    """Build MIDNet (``skip="attention"``) or NAFNet (``skip="add"``).

    Parameters
    ----------
    width : int
        Channels at full resolution; each encoder stage doubles them. The
        sizes of each preset are :data:`cyclesem.config.supervised.MIDNET_PRESETS`.
    enc_blocks, dec_blocks : sequence of int
        MID blocks per encoder / decoder stage (same length: the number of
        stride-2 stages).
    middle_blocks : int
        MID blocks at the lowest resolution.
    skip : {"attention", "add"}
        Attention-gated skips (MIDNet) or plain additive skips (NAFNet).
    local_pool_size : int, optional
        Local channel-attention pooling window at inference (see module notes).
    name : str
        Model name; the default names it as the project's enhancement network.
    dtype_policy : str, optional
        ``"mixed_float16"`` for mixed precision (the last layers stay float32),
        as :func:`cyclesem.nets.build_generator` takes it.

    Returns
    -------
    keras.Model
        Input ``(None, None, None, 1)`` of any height and width; output ``input + residual`` (float32, layer
        ``"enhanced"``), same shape as the input.

    Raises
    ------
    CyclesemError
        If the sizes do not describe a network.
    """
    _check_sizes(width, enc_blocks, middle_blocks, dec_blocks, skip)
    with dtype_policy_scope(dtype_policy):
        return _build(width, enc_blocks, middle_blocks, dec_blocks, skip, local_pool_size, name)


def _build(width, enc_blocks, middle_blocks, dec_blocks, skip, local_pool_size, name) -> keras.Model:
    images = keras.Input((None, None, 1), name="blurry")
    features = ReflectPadToMultiple(2 ** len(enc_blocks), name="pad")(images)
    features = layers.Conv2D(width, 3, padding="same", name="intro")(features)
    channels, skips = width, []
    for stage, count in enumerate(enc_blocks):
        features = _blocks(features, count, channels, local_pool_size, f"enc{stage}")
        skips.append(features)
        features = layers.Conv2D(channels * 2, 2, strides=2, name=f"down{stage}")(features)
        channels *= 2
    features = _blocks(features, middle_blocks, channels, local_pool_size, "middle")
    for stage, count in reversed(list(enumerate(dec_blocks))):
        features = layers.Conv2D(channels * 2, 1, use_bias=False, name=f"up{stage}")(features)
        features = PixelShuffle(2, name=f"shuffle{stage}")(features)
        channels //= 2
        if skip == "attention":
            features = AttentionGate(channels, name=f"gate{stage}")([skips[stage], features])
        else:
            features = layers.Add(name=f"skip{stage}")([skips[stage], features])
        features = _blocks(features, count, channels, local_pool_size, f"dec{stage}")
    residual = layers.Conv2D(1, 3, padding="same", dtype="float32", name="ending")(features)
    residual = CropToMatch(dtype="float32", name="crop")([residual, images])
    enhanced = layers.Add(dtype="float32", name="enhanced")([images, residual])
    return keras.Model(images, enhanced, name=name)


def with_local_pool(model: keras.Model, local_pool_size: int | None) -> keras.Model:
    """A copy of a :func:`build_midnet` model whose blocks pool locally at inference.

    Parameters
    ----------
    model : keras.Model
        A network from :func:`build_midnet` (or loaded from its ``.keras`` file).
    local_pool_size : int or None
        Window side for :class:`SimplifiedChannelAttention` (e.g. 1.5 x the
        training crop, as NAFNet does); ``None`` pools globally again.

    Returns
    -------
    keras.Model
        A new model with the same weights.
    """
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "MidBlock":
            layer["config"]["local_pool_size"] = local_pool_size
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy
