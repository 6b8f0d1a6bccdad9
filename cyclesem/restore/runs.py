"""The run-folder contract: load a trained run and enhance images with it.

A run folder (written by ``cyclesem train``; its file names live in
:mod:`cyclesem.io.run_folder`) holds ``config.json`` (the resolved config,
with a top-level ``"kind"``, rebuilt here as that kind's typed config),
``state.json`` (``{"step": N, ...}``) and
``generator.keras`` (the exported enhancement network: ``(batch, H, W, 1)``
float32 in, the same out, any H and W). Runs trained with a validation split
also hold ``best.keras``, the network of the best validation score, which is
then the one used. Everything that consumes a run calls
:func:`load_run` on the folder. Keras is imported only when a run is loaded.

Networks load with ``safe_mode=True`` only (:func:`cyclesem.nets.saving.load_network_file`):
a file holding arbitrary code (a ``Lambda`` layer) is refused, never executed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from cyclesem.config import config_from_dict
from cyclesem.data.normalize import NormParams, PercentileNormalizer
from cyclesem.errors import CyclesemError
from cyclesem.io.run_folder import CONFIG_FILE, describe_run, exported_network_file, read_run_files
from cyclesem.restore import grey_levels, support
from cyclesem.restore.tiling import TileSpec, predict_tiled

__all__ = ["Run", "enhance_tiled", "load_run", "norm_params", "sample_step"]


@dataclass(frozen=True)
class Run:
    """A trained run: its config, progress, and exported network.

    Build with :func:`load_run`, not directly.

    Attributes
    ----------
    path : pathlib.Path
        The run folder.
    config : CycleGanConfig or SupervisedConfig
        The resolved training config (``config.json``), typed by its kind.
    state : dict
        The training state (``state.json``).
    normalizer : PercentileNormalizer
        The intensity normalisation the network was trained with.
    network : keras.Model
        The exported enhancement network.
    forward : callable
        The network compiled for inference: float32 ``(n, h, w)`` stack to
        the same (one graph per tile shape).
    limit_to_support : bool
        Filter each output to the detail its input supports
        (:func:`cyclesem.restore.support.limit_to_support`); the config's
        ``enhance.limit_to_support`` unless replaced
        (:meth:`with_support_limit`).
    keep_grey_levels : bool
        Then give each output its input's brightness and large-scale contrast
        (:func:`cyclesem.restore.grey_levels.keep_grey_levels`); the config's
        ``enhance.keep_grey_levels`` unless replaced (:meth:`with_grey_levels`).
    """

    path: Path
    config: Any
    state: dict
    normalizer: PercentileNormalizer
    network: Any = field(repr=False)
    forward: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    limit_to_support: bool = False
    keep_grey_levels: bool = False

    @property
    def name(self) -> str:
        """The run folder's name."""
        return self.path.name

    @property
    def kind(self) -> str:
        """``"cyclegan"``, ``"midnet"`` or ``"nafnet"``."""
        return str(self.config.kind)

    @property
    def step(self) -> int:
        """Training steps done."""
        return int(self.state["step"])

    def enhance(
        self,
        image: np.ndarray,
        *,
        tile: TileSpec | None = None,
        progress: Callable[[int, int], object] | None = None,
        params: NormParams | None = None,
    ) -> np.ndarray:
        """Enhance a 2-D image: normalise, predict tile by tile, map back.

        Parameters
        ----------
        image : numpy.ndarray
            2-D float image in file units (``io.read_image`` scaling).
        tile : TileSpec, optional
            Tiling; the default suits the generators on a CPU.
        progress : callable, optional
            Called as ``progress(finished, total)`` as tiles finish.
        params : NormParams, optional
            Normalisation levels to use instead of the image's own (a chunk of
            a larger array uses the whole array's, :func:`norm_params`).

        Returns
        -------
        numpy.ndarray
            float32 image of the same shape, in the input's units.

        Raises
        ------
        CyclesemError
            If the image is not 2-D or holds non-finite values.

        Notes
        -----
        Percentiles come from a strided sample of the whole image; each tile
        is normalised and mapped back on its own, so besides the input and the
        result only a few tiles are held in memory. With :attr:`limit_to_support`
        the whole output is then filtered once by its input's spectrum, and with
        :attr:`keep_grey_levels` mapped once to its input's grey levels.
        """
        return enhance_tiled(image, self.normalizer, self.forward, tile=tile, progress=progress, params=params,
                             limit_to_support=self.limit_to_support, keep_grey_levels=self.keep_grey_levels)

    def with_support_limit(self, limit: bool) -> Run:
        """This run with :attr:`limit_to_support` set to ``limit`` (the config is not changed)."""
        return replace(self, limit_to_support=bool(limit))

    def with_grey_levels(self, keep: bool) -> Run:
        """This run with :attr:`keep_grey_levels` set to ``keep`` (the config is not changed)."""
        return replace(self, keep_grey_levels=bool(keep))

    def describe(self) -> str:
        """One line for reports: kind, preset, steps and training time (:func:`describe_run`)."""
        line = describe_run(self.path, self.kind, self.config.preset, self.state)
        return line + after_network_description(self.limit_to_support, self.keep_grey_levels)


def enhance_tiled(
    image: np.ndarray,
    normalizer: PercentileNormalizer,
    forward: Callable[[np.ndarray], np.ndarray],
    *,
    tile: TileSpec | None = None,
    progress: Callable[[int, int], object] | None = None,
    params: NormParams | None = None,
    limit_to_support: bool = False,
    keep_grey_levels: bool = False,
) -> np.ndarray:
    """Enhance a 2-D image with any network: normalise, predict tile by tile, map back.

    Shared by Keras runs (:meth:`Run.enhance`) and ONNX networks
    (:mod:`cyclesem.restore.onnx_runtime`), so both tile, normalise and bound memory
    the same way.

    Parameters
    ----------
    image : numpy.ndarray
        2-D float image in file units.
    normalizer : PercentileNormalizer
        The normalisation the network was trained with.
    forward : callable
        float32 ``(n, h, w)`` normalised tiles to the same.
    tile : TileSpec, optional
        Tiling; the default suits the generators on a CPU.
    progress : callable, optional
        Called as ``progress(finished, total)`` as tiles finish.
    params : NormParams, optional
        Normalisation levels; by default the image's own (:func:`norm_params`).
    limit_to_support : bool
        Then filter the whole output by its input's spectrum
        (:func:`cyclesem.restore.support.limit_to_support`).
    keep_grey_levels : bool
        Then map the whole output to its input's brightness and large-scale
        contrast (:func:`cyclesem.restore.grey_levels.keep_grey_levels`).

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape, in the input's units.

    Raises
    ------
    CyclesemError
        If the image is not 2-D or holds non-finite values.
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise CyclesemError(f"expected a non-empty 2-D image, got shape {image.shape}")
    if params is None:
        params = norm_params(normalizer, image)

    def predict(tiles: np.ndarray) -> np.ndarray:
        normalised, _ = normalizer.before(tiles, params)
        return normalizer.after(forward(normalised), params)

    restored = predict_tiled(image, predict, tile or TileSpec(), progress=progress)
    if limit_to_support:
        restored = support.limit_to_support(restored, image)
    return grey_levels.keep_grey_levels(restored, image) if keep_grey_levels else restored


def after_network_description(limit_to_support: bool, keep_grey_levels: bool) -> str:
    """What enhancement does after the network, as ``", ..."`` for ``describe()`` lines (empty: nothing)."""
    steps = [support.DESCRIPTION] * bool(limit_to_support) + [grey_levels.DESCRIPTION] * bool(keep_grey_levels)
    return "".join(f", {step}" for step in steps)


def load_run(path: str | os.PathLike) -> Run:
    """Load the run in folder ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        A run folder written by ``cyclesem train``, or the name of a packaged
        model (:mod:`cyclesem.pretrained`; an existing folder of that name wins).

    Returns
    -------
    Run

    Raises
    ------
    CyclesemError
        If the folder is not a run, a file in it is unreadable, the network
        does not load in safe mode, or a name is neither a folder nor a model.
    """
    from cyclesem.nets.saving import load_network_file  # Keras, only when a run is loaded
    from cyclesem.pretrained import resolve

    path = resolve(path)
    saved, state = read_run_files(path)
    config = config_from_dict(saved, source=str(path / CONFIG_FILE))
    network = load_network_file(exported_network_file(path))
    return Run(path, config, state, config.data.normalizer(), network, _compile(network),
               config.enhance.limit_to_support, config.enhance.keep_grey_levels)


def _compile(network) -> Callable[[np.ndarray], np.ndarray]:
    """``network`` in inference mode as a TensorFlow graph, numpy in and out.

    Each tile shape gets its own fully static graph: a graph relaxed to
    partly unknown shapes (what ``predict_on_batch`` does when shapes change)
    miscomputes the padding of dilated convolutions in TensorFlow 2.21.
    """
    from cyclesem.backend import keras_backend, require_tensorflow

    if keras_backend() == "jax":
        return _compile_jax(network)
    tf = require_tensorflow()
    graph = tf.function(lambda images: network(images, training=False))

    def forward(tiles: np.ndarray) -> np.ndarray:
        result = graph(tf.constant(tiles[..., np.newaxis], tf.float32))
        return np.asarray(result, np.float32)[..., 0]

    return forward


def _compile_jax(network) -> Callable[[np.ndarray], np.ndarray]:
    """``network`` in inference mode, one ``jax.jit`` program per tile shape, numpy in and out."""
    import jax

    graph = jax.jit(lambda images: network(images, training=False))

    def forward(tiles: np.ndarray) -> np.ndarray:
        return np.asarray(graph(np.asarray(tiles[..., np.newaxis], np.float32)), np.float32)[..., 0]

    return forward


def sample_step(shape: tuple[int, ...], target: int = 1 << 20) -> int:
    """Stride along y and x giving a sample of about ``target`` pixels of a plane of ``shape``.

    ``image[::step, ::step]`` is the sample the normalisation levels come
    from; chunked enhancement (:mod:`cyclesem.restore.chunked`) takes the same
    one from a whole plane larger than memory.
    """
    return max(1, int(np.ceil(np.sqrt(shape[-2] * shape[-1] / target))))


def norm_params(normalizer: PercentileNormalizer, image, *, sampled: bool = False) -> NormParams:
    """Normalisation levels of a 2-D ``image`` from its strided sample (:func:`sample_step`).

    Parameters
    ----------
    normalizer : PercentileNormalizer
        The network's normalisation.
    image : array_like
        The plane, or with ``sampled`` its sample already taken.
    sampled : bool
        Whether ``image`` is the sample itself.

    Raises
    ------
    CyclesemError
        If the sample holds non-finite values.
    """
    if not sampled:
        step = sample_step(image.shape)
        image = image[::step, ::step]
    try:
        return normalizer.params(np.asarray(image))
    except ValueError as exc:
        raise CyclesemError(f"cannot enhance: {exc}") from None
