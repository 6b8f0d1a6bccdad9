"""Restoring images: trained runs, tiling, enhancing files, classical methods.

- :mod:`~cyclesem.restore.runs`: ``load_run(RUN) -> Run`` (typed config,
  normaliser, exported network) with ``Run.enhance(image)``;
- :mod:`~cyclesem.restore.tiling`: tile plans and smooth-window blending (numpy);
- :mod:`~cyclesem.restore.support`: ``limit_to_support(restored, image)``, keep only
  the detail the input's spectrum carries above its noise (numpy);
- :mod:`~cyclesem.restore.enhance`: ``enhance_file`` (format, bit depth,
  metadata and info bar kept; TIFF stacks page by page) and ``enhance_image``
  (arrays in memory);
- :mod:`~cyclesem.restore.distributed`: files as tasks on a Dask cluster, one
  network per worker process; :mod:`~cyclesem.restore.chunked`: Zarr arrays
  larger than memory chunk by chunk (``map_overlap``). Both import Dask, and
  only they do;
- :mod:`~cyclesem.restore.classical`: Wiener, Richardson-Lucy, blind
  deconvolution, unsharp masking, PSFs and FFT helpers (numpy/scipy).

TensorFlow is imported only when a run's network is loaded.
"""
