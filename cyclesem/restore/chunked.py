"""Enhancing arrays larger than memory chunk by chunk with Dask (``map_overlap``).

Every plane (the last two axes; a volume's or time series' leading axes are
taken one index at a time) is cut into the array's chunks. Each chunk is
handed to the run's tiler (:meth:`cyclesem.restore.runs.Run.enhance`) with
``depth = margin + blend`` (rounded up to the network's stride) pixels of its
neighbours around it, as one tile, and only its own pixels are kept. So every
kept pixel sees at least as much real context as the pixels that the
in-memory tiler gives full weight (those lie ``margin + blend`` inside a
tile), chunk origins stay on the stride grid (so the network sees every pixel
at the phase it has in the whole image), and the array's bottom and right
edges are reflection-padded exactly as the tiler pads a whole image. The
normalisation levels are the whole plane's, taken from the same strided
sample :meth:`~cyclesem.restore.runs.Run.enhance` takes. The result equals the
in-memory tiled result to within what the network's context beyond
``margin`` changes (tested below 1e-3), with no blending seam: chunks meet
where both sides have full context.

A run whose output is limited to the detail its input supports
(``enhance.limit_to_support``, :mod:`cyclesem.restore.support`) limits each
chunk by the spectrum of that chunk and its halo, not of the whole plane, so the
result differs a little from the whole-image limit, and how little (also at chunk
borders) is measured by ``python -m experiments.pretrained.support_chunks sem-deblur
--chunk 256`` (see ``experiments/README.md``).

Memory per worker: a chunk with its halo, the network and one tile; never the
plane. The output is built in a temporary sibling store and renamed into place
when complete (:func:`cyclesem.io.outputs.building_folder`); a chunk whose worker
dies is computed again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import numpy as np

from cyclesem.data.normalize import NormParams
from cyclesem.errors import CyclesemError
from cyclesem.io.outputs import building_folder
from cyclesem.io.zarr_store import create_output, from_unit, open_zarr, to_unit, write_lower_levels
from cyclesem.restore.distributed import cluster_client, network_address, require_dask, warm_workers, worker_run
from cyclesem.restore.tiling import TileSpec

__all__ = ["enhance_chunks", "enhance_zarr", "overlap_depth", "plane_levels", "MAX_CHUNK"]

MAX_CHUNK = 2048  # larger stored chunks are processed in pieces of this side (bounded memory)


def overlap_depth(spec: TileSpec) -> int:
    """Halo in pixels around each chunk: ``margin + blend`` rounded up to the stride."""
    return -(-(spec.margin + spec.blend) // spec.stride) * spec.stride


def plane_levels(array, run_path: str) -> np.ndarray:
    """Normalisation levels ``(low, high)`` of every plane of a dask ``array``.

    Returns
    -------
    numpy.ndarray
        Shape ``array.shape[:-2] + (2,)``.
    """
    import dask

    from cyclesem.restore.runs import sample_step

    step = sample_step(array.shape)
    sample = array[..., ::step, ::step]
    planes = list(np.ndindex(*array.shape[:-2]))
    levels = dask.compute(*[dask.delayed(_levels)(sample[index], run_path) for index in planes])
    return np.array(levels, np.float64).reshape(array.shape[:-2] + (2,))


def _levels(sample: np.ndarray, run_path: str) -> tuple[float, float]:
    from cyclesem.restore.runs import norm_params

    params = norm_params(worker_run(run_path).normalizer, to_unit(sample), sampled=True)
    return params.low, params.high


def enhance_chunks(array, run_path: str, spec: TileSpec, levels: np.ndarray):
    """The lazily enhanced dask ``array`` (same shape, dtype and chunks).

    Parameters
    ----------
    array : dask.array.Array
        Samples in a file dtype; last two axes y and x, one plane per chunk
        along the others.
    run_path : str
        The run folder (each worker loads it once).
    spec : TileSpec
        Margin, blend and stride of the tiling; each chunk and its halo form
        one tile whatever ``spec.tile`` says.
    levels : numpy.ndarray
        :func:`plane_levels` of ``array``.
    """
    lead = array.ndim - 2
    depth = overlap_depth(spec)
    array = array.rechunk({**{axis: 1 for axis in range(lead)},
                           **{axis: _with_full_last(array.chunks[axis], depth) for axis in (lead, lead + 1)}})
    for chunks in array.chunks[lead:]:
        if any(c % spec.stride for c in chunks[:-1]):
            raise ValueError(f"chunks along y and x must be multiples of {spec.stride}, got {chunks}")
    side = max(max(c) for c in array.chunks[lead:]) + 2 * depth
    block_spec = dataclasses.replace(spec, tile=max(spec.side, side), batch=1)
    return array.map_overlap(
        _enhance_block, depth={**{a: 0 for a in range(lead)}, lead: depth, lead + 1: depth},
        boundary="none", dtype=array.dtype, meta=np.empty((0,) * array.ndim, array.dtype),
        run_path=run_path, spec=block_spec, levels=levels,
    )


def _with_full_last(chunks: tuple[int, ...], depth: int) -> tuple[int, ...]:
    """``chunks`` with a last chunk shorter than ``depth`` merged into the one before.

    ``map_overlap`` would otherwise rechunk the axis itself, moving chunk
    origins off the network's stride grid.
    """
    if len(chunks) > 1 and chunks[-1] < depth:
        return chunks[:-2] + (chunks[-2] + chunks[-1],)
    return chunks


def _enhance_block(block: np.ndarray, run_path: str, spec: TileSpec, levels: np.ndarray, block_info=None):
    """One chunk with its halo, enhanced with its plane's levels, in its own dtype."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # edge chunks' shapes retrace the graph: expected
    plane = tuple(block_info[0]["chunk-location"][:-2]) if block_info else ()
    low, high = levels[plane]
    image = to_unit(block.reshape(block.shape[-2:]))
    result = worker_run(run_path).enhance(image, tile=spec, params=NormParams(float(low), float(high)))
    return from_unit(result, block.dtype).reshape(block.shape)


def enhance_zarr(
    run_path: str | os.PathLike,
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    tile: TileSpec | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
) -> str:
    """Enhance a Zarr array or OME-Zarr image into a new store at ``out``.

    Parameters
    ----------
    run_path : str or os.PathLike
        The run folder.
    source, out : str or os.PathLike
        Input store, and the output store (written whole or not at all).
    tile : TileSpec, optional
        Margin, blend and stride (see :func:`enhance_chunks`).
    overwrite : bool
        Replace an existing ``out``.
    workers, scheduler : optional
        A local cluster of this many processes, or a running scheduler's
        address; without either, threads of this process.

    Returns
    -------
    str
        The run's description.
    """
    require_dask()
    import dask

    spec = tile or TileSpec()
    run_path = network_address(run_path)
    image = open_zarr(source)
    _check_places(Path(source), Path(out))
    if workers or scheduler:
        with cluster_client(workers, scheduler) as client:
            described = warm_workers(client, run_path)
            _build(image, out, run_path, spec, overwrite, lambda arr, target: _store_on(client, arr, target))
        return described
    described = worker_run(run_path).describe()
    with dask.config.set(scheduler="threads"):
        _build(image, out, run_path, spec, overwrite, _store_here)
    return described


def _build(image, out, run_path: str, spec: TileSpec, overwrite: bool, store) -> None:
    """Chunks on the stride grid, at least the halo, at most :data:`MAX_CHUNK`; the output built whole."""
    import dask.array as da

    array = da.from_zarr(image.array)
    chunks = tuple(1 for _ in array.shape[:-2]) + tuple(
        min(max(-(-c // spec.stride) * spec.stride, overlap_depth(spec)), MAX_CHUNK) for c in image.array.chunks[-2:]
    )
    array = array.rechunk(chunks)
    levels = plane_levels(array, run_path)
    with building_folder(out, overwrite=overwrite) as temp:
        target = create_output(image, temp, chunks)
        store(enhance_chunks(array, run_path, spec, levels), target)
        write_lower_levels(image, temp, store)


def _store_here(array, target) -> None:
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        array.store(target, lock=False)


def _store_on(client, array, target) -> None:
    import distributed

    future = client.compute(array.store(target, lock=False, compute=False))
    distributed.progress(future)
    future.result()


def _check_places(source: Path, out: Path) -> None:
    source, resolved = source.resolve(), out.resolve()
    if resolved == source or source in resolved.parents or resolved in source.parents:
        raise CyclesemError("the output store would replace or sit inside the input; choose another --out", out)
