"""Training: the runner, its run files, one task per model kind, and :func:`task_for`.

- :mod:`~cyclesem.train.runner`: ``train(task, RUN, resume=...)`` for any model
  kind (seeding, strategies, ``fit()`` with progress, checkpoints, Ctrl-C).
- :mod:`~cyclesem.train.run_files`: what the runner writes into a run folder
  (checkpoints, losses, previews); the names are :mod:`cyclesem.io.run_folder`'s.
- :mod:`~cyclesem.train.cyclegan`, :mod:`~cyclesem.train.physical`,
  :mod:`~cyclesem.train.supervised`: the task of each model kind.
- :mod:`~cyclesem.train.tasks`: ``task_for(config)``, ``cyclegan_task``,
  ``run_training``, ``resume_training``: one path to create and resume every kind.
- :mod:`~cyclesem.train.init`: ``train --init``, a new run from trained weights.

Importing this package imports no TensorFlow; the runner and the tasks do.
"""
