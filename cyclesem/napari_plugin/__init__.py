"""cyclesem in napari (``pip install 'cyclesem[napari]'``): an npe2 plugin, ``napari.yaml``.

- :mod:`~cyclesem.napari_plugin.reader`: SEM files (TIFF, PNG, ... with their info
  bar), TIFF stacks and Zarr / OME-Zarr as image layers at their pixel size (nm);
- :mod:`~cyclesem.napari_plugin.enhance_widget`: enhance a layer with a packaged
  model, a run folder, an ONNX file / package or a classical method, as
  ``cyclesem enhance`` does;
- :mod:`~cyclesem.napari_plugin.defocus_widget`: the defocus map of ``cyclesem focus``
  as a layer;
- :mod:`~cyclesem.napari_plugin.writer`: a layer saved with its source's info bar
  and metadata;
- :mod:`~cyclesem.napari_plugin.sample_data`: a phantom, sharp and blurred.

Only this package imports napari and Qt; it reaches the library through
:mod:`~cyclesem.napari_plugin._library` alone. Nothing is imported here, so
napari's plugin discovery stays cheap.
"""
