"""Exporting enhancement networks for tools outside Python training setups.

- :mod:`cyclesem.export.metadata`: what an exported network carries besides
  its weights (kind, the percentile normalisation, where it came from).
- :mod:`cyclesem.export.onnx`: Keras network -> ONNX file (TensorFlow + tf2onnx).
- :mod:`cyclesem.export.runtime`: enhancement with onnxruntime, no TensorFlow;
  :func:`~cyclesem.export.runtime.load_network` opens a run folder, an ONNX
  file or a bioimage.io package zip behind one interface.
- :mod:`cyclesem.export.bioimageio`: a bioimage.io model package (spec 0.5) for
  deepImageJ, napari, ilastik and bioimageio.core; :mod:`~cyclesem.export.card`
  writes its model card and :mod:`~cyclesem.export.cover` its cover image.

Nothing is imported here, so ``import cyclesem.export.runtime`` stays free of
TensorFlow.
"""
