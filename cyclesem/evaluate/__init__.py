"""Evaluating restorations: metrics, comparisons of methods, reports.

- :mod:`~cyclesem.evaluate.metrics`: PSNR, SSIM, AG, CON, SF, focus, registered scoring;
- :mod:`~cyclesem.evaluate.sources`, :mod:`~cyclesem.evaluate.methods`: what a
  comparison runs on (a benchmark, real pairs) and with (baselines, run folders);
- :mod:`~cyclesem.evaluate.compare`: ``run_comparison`` (``cyclesem compare``);
- :mod:`~cyclesem.evaluate.report`, :mod:`~cyclesem.evaluate.report_html`:
  ``metrics.csv``, ``report.md``, ``report.html`` (style: ``report.css``).

Numpy and scipy; a run folder as a method loads TensorFlow lazily.
"""
