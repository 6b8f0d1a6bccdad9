"""Training: the runner, the run folder, one task per model kind, and :func:`task_for`.

- :mod:`~cyclesem.train.runner`: ``train(task, RUN, resume=...)`` for any model
  kind (seeding, strategies, ``fit()`` with progress, checkpoints, Ctrl-C).
- :mod:`~cyclesem.train.run_folder`: the run folder's files and their names
  (the only place that names them).
- :mod:`~cyclesem.train.cyclegan`, :mod:`~cyclesem.train.supervised`: the
  task of each model kind.
- :mod:`~cyclesem.train.tasks`: ``task_for(config)``, ``run_training``,
  ``resume_training``: one path to create and resume every kind.

Importing this package imports no TensorFlow; the runner and the tasks do.
"""
