"""Training and evaluation data: normalisation, registration, pairs, crops, pipelines.

- :mod:`~cyclesem.data.normalize`: ``PercentileNormalizer.before/after``.
- :mod:`~cyclesem.data.registration`: sub-pixel phase correlation, shifts, overlaps.
- :mod:`~cyclesem.data.pairs`: matching paired files, splits by source image,
  loading (and registering) the pairs a supervised config names.
- :mod:`~cyclesem.data.images`: the unpaired folders a CycleGAN config names.
- :mod:`~cyclesem.data.crops`: random training crops, preview and validation crops.
- :mod:`~cyclesem.data.pipelines`: ``tf.data`` batches, a pure function of (seed, step).

All numpy except :mod:`~cyclesem.data.pipelines`, which imports TensorFlow
when a dataset is made.
"""
