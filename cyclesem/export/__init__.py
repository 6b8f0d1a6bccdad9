"""Exporting enhancement networks for tools outside Python training setups.

- :mod:`cyclesem.export.onnx`: Keras network -> ONNX file (TensorFlow + tf2onnx),
  carrying a :class:`~cyclesem.restore.network_info.NetworkInfo` as metadata so
  :mod:`cyclesem.restore.onnx_runtime` enhances with it without TensorFlow.
- :mod:`cyclesem.export.bioimageio`: a bioimage.io model package (spec 0.5) for
  deepImageJ, napari, ilastik and bioimageio.core; :mod:`~cyclesem.export.card`
  writes its model card and :mod:`~cyclesem.export.cover` its cover image.
- :mod:`cyclesem.export.files`: atomic writes of exports.

Nothing is imported here.
"""
