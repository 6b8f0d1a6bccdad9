"""The physical SEM degradation: the clear -> blurry half of the constrained CycleGAN.

A clear image ``x`` (values in the run's shared normalisation) becomes a
blurry one in four steps, all written with :mod:`keras.ops` (portable to JAX)::

    y = t * (h * x) + A * (1 - t)          blur, then a smooth veil (fog, charging)   [fit_intensity]
    y = gain * y + offset                  the folder's grey-level frame            [fit_intensity]
    y = y + sqrt(a * max(y, 0) + b) * n    Poisson-Gaussian noise, n ~ N(0, 1)

``h`` is a point spread function (PSF) from a small parametric family: a
mixture of an elliptical Gaussian (the beam), a 2-D Lorentzian (Cauchy) tail
(scattering, electrons from the surroundings) and a soft-edged disc (defocus),
each normalised to sum 1 on a centred grid, so their mixture sums to 1 and is
centred (symmetric about the origin). The convolution is an FFT product on the
image padded by reflection by the PSF's radius (real defocus is ~10 px sigma,
far too wide for spatial kernels). ``t`` is a smooth random field (a 4 x 4 grid
of draws, resized bilinearly) around a mean transmission; ``A`` the veil level.

Every physical parameter is a learned **distribution**: an unconstrained mean
``mu`` and spread ``s`` (``softplus``), drawn per image by reparameterisation
``z = mu + softplus(s) * eps`` and mapped to its range (``exp`` for widths and
noise levels, ``sigmoid`` for weights). The standard normal draws ``eps``, the
noise image ``n`` and the veil grid come from the input pipeline (pure numpy
functions of the run's seed and the step), so a resumed run draws the same
numbers and no backend random state is involved.

Layer weights: one ``(PARAMETER_COUNT,)`` vector of means and one of raw
spreads. :func:`describe` turns them into physical units (``degradation.json``).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

__all__ = ["PARAMETERS", "PARAMETER_COUNT", "PSF_SHAPES", "VEIL_GRID", "SemDegradation", "build_degradation",
           "describe", "equivalent_sigma", "initial_means", "mean_psf", "psf_family"]

PARAMETERS = (
    "log_sigma",           # major-axis sigma of the Gaussian core, px
    "logit_aspect",        # minor/major axis ratio, 0.2 + 0.8 * sigmoid
    "angle",               # orientation of the major axis, radians
    "logit_tail",          # mixture logits (Gaussian core's is 0)
    "logit_disc",
    "log_tail_width",      # Lorentzian half width, px
    "log_disc_radius",     # defocus disc radius, px
    "logit_transmission",  # mean of the veil transmission t
    "log_veil_variation",  # std of t across the image
    "logit_veil",          # veil level A
    "log_gain",
    "offset",
    "log_shot",            # Poisson part of the noise variance: a * y
    "log_read",            # Gaussian part of the noise variance: b
)
PARAMETER_COUNT = len(PARAMETERS)
VEIL_GRID = 4
"""Side of the grid of draws resized into the smooth transmission field."""
PSF_SHAPES = ("mixture", "gaussian")

_INDEX = {name: i for i, name in enumerate(PARAMETERS)}
_WIDTHS = ("log_sigma", "log_tail_width", "log_disc_radius")  # every width of the PSF, scaled together
_SERIALIZABLE = keras.saving.register_keras_serializable(package="cyclesem")


def initial_means(sigma: float = 1.5) -> np.ndarray:
    """Starting means: a round Gaussian of ``sigma`` px, almost no tail, disc or veil, faint noise."""
    start = {
        "log_sigma": math.log(sigma), "logit_aspect": 2.0, "angle": 0.0, "logit_tail": -4.0,
        "logit_disc": -4.0, "log_tail_width": math.log(4.0), "log_disc_radius": math.log(4.0),
        "logit_transmission": 4.0, "log_veil_variation": math.log(0.02), "logit_veil": 0.0,
        "log_gain": 0.0, "offset": 0.0, "log_shot": math.log(1e-4), "log_read": math.log(1e-5),
    }
    return np.array([start[name] for name in PARAMETERS], np.float32)


def _initial_spreads() -> np.ndarray:
    """Raw spreads (before softplus): small for all, wide for the angle."""
    spread = np.full(PARAMETER_COUNT, 0.05, np.float32)
    spread[_INDEX["angle"]] = 1.0
    spread[_INDEX["log_sigma"]] = 0.15
    return np.log(np.expm1(spread)).astype(np.float32)  # softplus inverse


def _centred_grid(height: int, width: int):
    """Signed pixel offsets from the origin with wrap-around (FFT layout), float32 ``(H, W)`` each."""
    rows = (np.arange(height) + height // 2) % height - height // 2
    cols = (np.arange(width) + width // 2) % width - width // 2
    yy, xx = np.meshgrid(rows, cols, indexing="ij")
    return yy.astype(np.float32), xx.astype(np.float32)


def _normalised(kernel):
    return kernel / ops.sum(kernel, axis=(1, 2), keepdims=True)


def psf_family(values, height: int, width: int, shape: str = "mixture"):
    """PSFs for per-image physical values, on a ``height x width`` grid centred at pixel (0, 0).

    Parameters
    ----------
    values : tensor ``(B, PARAMETER_COUNT)``
        Drawn unconstrained parameters (see :data:`PARAMETERS`).
    height, width : int
        Grid size; the PSF's origin is pixel ``(0, 0)`` with wrap-around
        (``numpy.fft.fftshift`` puts it in the middle).
    shape : {"mixture", "gaussian"}
        The Gaussian core with its Lorentzian tail and defocus disc, or the
        elliptical Gaussian alone (the tail's and disc's parameters unused).

    Returns
    -------
    tensor ``(B, height, width)``
        Non-negative PSFs, each summing to 1 and symmetric about the origin.
    """
    yy, xx = (ops.convert_to_tensor(g)[None] for g in _centred_grid(height, width))

    def column(name):
        return values[:, _INDEX[name]][:, None, None]

    major = ops.maximum(ops.exp(column("log_sigma")), 0.3)
    minor = ops.maximum(major * (0.2 + 0.8 * ops.sigmoid(column("logit_aspect"))), 0.3)
    cos, sin = ops.cos(column("angle")), ops.sin(column("angle"))
    along, across = xx * cos + yy * sin, -xx * sin + yy * cos
    gaussian = _normalised(ops.exp(-0.5 * (ops.square(along / major) + ops.square(across / minor))))
    if shape == "gaussian":
        return gaussian
    radius2 = ops.square(xx) + ops.square(yy)
    gamma = ops.exp(column("log_tail_width"))
    tail = _normalised(gamma / ops.power(radius2 + ops.square(gamma), 1.5))
    disc_radius = ops.exp(column("log_disc_radius"))
    disc = _normalised(ops.sigmoid(2.0 * (disc_radius - ops.sqrt(radius2 + 1e-6))) + 1e-12)
    logits = ops.stack([ops.zeros_like(column("logit_tail")), column("logit_tail"),
                        column("logit_disc")], axis=0)
    weights = ops.softmax(logits, axis=0)
    return weights[0] * gaussian + weights[1] * tail + weights[2] * disc


def _fft_convolve(images, psfs):
    """Real circular convolution over the last two axes (same shapes)."""
    zeros = ops.zeros_like(images)
    image_re, image_im = ops.fft2((images, zeros))
    psf_re, psf_im = ops.fft2((psfs, ops.zeros_like(psfs)))
    product = (image_re * psf_re - image_im * psf_im, image_re * psf_im + image_im * psf_re)
    return ops.ifft2(product)[0]


@_SERIALIZABLE
class SemDegradation(layers.Layer):
    """Clear -> blurry SEM degradation with learned parameter distributions.

    Called on ``[clear, draws, noise, veil_field]``:

    - ``clear``: ``(B, H, W, 1)`` images;
    - ``draws``: ``(B, PARAMETER_COUNT)`` standard normal draws (the
      reparameterisation's ``eps``);
    - ``noise``: ``(B, H, W, 1)`` standard normal noise;
    - ``veil_field``: ``(B, VEIL_GRID, VEIL_GRID)`` standard normal draws for the
      smooth transmission.

    Parameters
    ----------
    radius : int
        The PSF's support radius in pixels (the reflection padding); images
        must be larger than it.
    initial_sigma : float
        The Gaussian core's starting sigma (px).
    fit_intensity : bool
        Apply (and so fit) the veil, gain and offset; off, they stay at the
        identity (their weights are kept but unused).
    psf_shape : {"mixture", "gaussian"}
        The PSF family (:func:`psf_family`).
    """

    def __init__(self, radius: int = 40, initial_sigma: float = 1.5, fit_intensity: bool = False,
                 psf_shape: str = "mixture", **kwargs):
        super().__init__(**kwargs)
        if psf_shape not in PSF_SHAPES:
            raise ValueError(f"psf_shape must be one of {', '.join(PSF_SHAPES)}, got {psf_shape!r}")
        self.radius, self.initial_sigma = int(radius), float(initial_sigma)
        self.fit_intensity, self.psf_shape = bool(fit_intensity), psf_shape

    def build(self, input_shape=None):
        self.means = self.add_weight(
            shape=(PARAMETER_COUNT,), name="means",
            initializer=keras.initializers.Constant(initial_means(self.initial_sigma)))
        self.spreads = self.add_weight(
            shape=(PARAMETER_COUNT,), name="spreads",
            initializer=keras.initializers.Constant(_initial_spreads()))
        self.built = True

    def draw(self, draws):
        """Unconstrained per-image parameters ``mu + softplus(s) * eps``, ``(B, PARAMETER_COUNT)``."""
        return self.means[None] + ops.softplus(self.spreads)[None] * ops.cast(draws, "float32")

    def spread_widths(self, values, draws, width_scale):
        """``values`` with every PSF width replaced by the fitted mean width times a log-uniform factor.

        The factor lies in ``width_scale = (low, high)``; its uniform draw is the
        normal CDF of the ``log_sigma`` column of ``draws``, so no new random
        numbers are needed and a resumed run draws the same. The Gaussian core,
        the Lorentzian tail and the defocus disc are all scaled by the same
        factor, keeping the PSF's shape; every other parameter keeps its draw.
        """
        low, high = (math.log(float(bound)) for bound in width_scale)
        eps = ops.cast(draws, "float32")[:, _INDEX["log_sigma"]]
        uniform = 0.5 * (1.0 + ops.erf(eps / math.sqrt(2.0)))
        shift = low + (high - low) * uniform
        columns = [values[:, i] for i in range(PARAMETER_COUNT)]
        for name in _WIDTHS:
            columns[_INDEX[name]] = self.means[_INDEX[name]] + shift
        return ops.stack(columns, axis=1)

    def blur(self, clear, values):
        """``h * clear`` for per-image parameters ``values`` (no veil, no noise)."""
        images = ops.cast(clear, "float32")[..., 0]
        r = self.radius
        padded = ops.pad(images, [[0, 0], [r, r], [r, r]], mode="reflect")
        height, width = padded.shape[1], padded.shape[2]
        psfs = psf_family(values, height, width, self.psf_shape)
        blurred = _fft_convolve(padded, psfs)
        return blurred[:, r:r + images.shape[1], r:r + images.shape[2], None]

    def frame(self, images, draws):
        """``gain * images + offset`` with the gain and offset of ``draws`` (``images`` unchanged without ``fit_intensity``).

        Gain and offset are the grey-level frame the blurry folder is seen in:
        with a run-wide normalisation they absorb differences of brightness
        and contrast between the two folders, which come from their content
        or the detector's settings, not from focus (the registered real
        defocus pairs show gain 1.03 and offset -0.01). The restorer's targets
        are the clear crops in this frame, so it is not taught to undo the gain
        (a gain that comes from content is then taught as contrast).
        """
        if not self.fit_intensity:
            return ops.cast(images, "float32")
        values = self.draw(draws)
        return (ops.exp(values[:, _INDEX["log_gain"]])[:, None, None, None] * ops.cast(images, "float32")
                + values[:, _INDEX["offset"]][:, None, None, None])

    def call(self, inputs, mean_only=False, framed=True, width_scale=None):
        clear, draws, noise, veil_field = inputs
        values = self.draw(ops.zeros_like(draws) if mean_only else draws)
        if width_scale is not None:
            values = self.spread_widths(values, draws, width_scale)
        shaded = self.blur(clear, values)

        def column(name):
            return values[:, _INDEX[name]][:, None, None, None]

        if self.fit_intensity:
            field = ops.image.resize(ops.cast(veil_field, "float32")[..., None],
                                     (shaded.shape[1], shaded.shape[2]), interpolation="bilinear")
            transmission = ops.clip(ops.sigmoid(column("logit_transmission"))
                                    + ops.exp(column("log_veil_variation")) * field, 0.02, 1.0)
            shaded = transmission * shaded + ops.sigmoid(column("logit_veil")) * (1.0 - transmission)
            if framed:
                shaded = ops.exp(column("log_gain")) * shaded + column("offset")
        if mean_only:
            return shaded
        variance = ops.exp(column("log_shot")) * ops.relu(shaded) + ops.exp(column("log_read"))
        return shaded + ops.sqrt(variance) * ops.cast(noise, "float32")

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return super().get_config() | {"radius": self.radius, "initial_sigma": self.initial_sigma,
                                       "fit_intensity": self.fit_intensity, "psf_shape": self.psf_shape}


def build_degradation(radius: int = 40, initial_sigma: float = 1.5, fit_intensity: bool = False, *,
                      psf_shape: str = "mixture", name: str = "gen_clear_to_blurry") -> keras.Model:
    """The degradation as a ``keras.Model`` of four inputs (see :class:`SemDegradation`)."""
    clear = keras.Input((None, None, 1), name="clear")
    draws = keras.Input((PARAMETER_COUNT,), name="draws")
    noise = keras.Input((None, None, 1), name="noise")
    veil = keras.Input((VEIL_GRID, VEIL_GRID), name="veil_field")
    blurry = SemDegradation(radius, initial_sigma, fit_intensity, psf_shape,
                            name="degradation")([clear, draws, noise, veil])
    return keras.Model([clear, draws, noise, veil], blurry, name=name)


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def describe(means, spreads, *, psf_size: int = 81, fit_intensity: bool = True, psf_shape: str = "mixture") -> dict:
    """The fitted degradation in physical units (``degradation.json``).

    Parameters
    ----------
    means, spreads : array_like ``(PARAMETER_COUNT,)``
        The layer's weights (raw spreads, before softplus).
    psf_size : int
        Side of the mean PSF given in the result (odd).
    fit_intensity : bool
        Whether the layer applies its veil, gain and offset; if not, they are
        given as the identity (``"fitted": false``).
    psf_shape : {"mixture", "gaussian"}
        The layer's PSF family (a Gaussian alone has weights 1, 0, 0).

    Returns
    -------
    dict
        ``psf`` (the mean PSF's parameters and its picture as a nested list,
        origin in the middle), ``psf_spread`` (each parameter's spread in
        unconstrained units), ``veil``, ``intensity``, ``noise``, and the raw
        ``means`` / ``spreads`` that rebuild the layer.
    """
    means = np.asarray(means, np.float64)
    spreads = _softplus(np.asarray(spreads, np.float64))
    value = {name: means[i] for i, name in enumerate(PARAMETERS)}
    weights = np.exp([0.0, value["logit_tail"], value["logit_disc"]]) if psf_shape == "mixture" else np.eye(3)[0]
    weights /= weights.sum()
    sigma = max(math.exp(value["log_sigma"]), 0.3)
    psf = mean_psf(means, psf_size, psf_shape)
    return {
        "psf": {"sigma_major_px": sigma,
                "sigma_minor_px": max(sigma * (0.2 + 0.8 * _sigmoid(value["logit_aspect"])), 0.3),
                "angle_deg": math.degrees(value["angle"]) % 180.0,
                "weights": {"gaussian": weights[0], "lorentzian_tail": weights[1], "disc": weights[2]},
                "tail_width_px": math.exp(value["log_tail_width"]),
                "disc_radius_px": math.exp(value["log_disc_radius"]),
                "equivalent_sigma_px": equivalent_sigma(psf),
                "image": np.round(psf, 8).tolist()},
        "psf_spread": {name: spreads[i] for i, name in enumerate(PARAMETERS)},
        "veil": ({"transmission": _sigmoid(value["logit_transmission"]),
                  "variation": math.exp(value["log_veil_variation"]),
                  "level": _sigmoid(value["logit_veil"]), "fitted": True} if fit_intensity else
                 {"transmission": 1.0, "variation": 0.0, "level": 0.0, "fitted": False}),
        "intensity": ({"gain": math.exp(value["log_gain"]), "offset": value["offset"], "fitted": True}
                      if fit_intensity else {"gain": 1.0, "offset": 0.0, "fitted": False}),
        "noise": {"shot": math.exp(value["log_shot"]), "read_sigma": math.exp(0.5 * value["log_read"])},
        "means": means.tolist(),
        "spreads": np.asarray(np.log(np.expm1(np.maximum(spreads, 1e-12))), np.float64).tolist(),
    }


def mean_psf(means, size: int = 81, shape: str = "mixture") -> np.ndarray:
    """The PSF at the mean parameters, ``(size, size)`` float64, origin in the middle, sum 1."""
    values = np.asarray(means, np.float32)[None]
    psf = keras.ops.convert_to_numpy(psf_family(ops.convert_to_tensor(values), size, size, shape))[0]
    return np.fft.fftshift(psf).astype(np.float64)


def equivalent_sigma(psf: np.ndarray) -> float:
    """The sigma (px) of the round Gaussian with the same second moment as ``psf`` (origin in the middle)."""
    psf = np.asarray(psf, np.float64)
    rows, cols = np.indices(psf.shape) - np.array(psf.shape)[:, None, None] // 2
    return float(np.sqrt(0.5 * np.sum(psf * (rows ** 2 + cols ** 2)) / psf.sum()))
