"""Classical restoration baselines, pure numpy/scipy, laid out as scikit-image's ``restoration``.

- :mod:`~cyclesem.restore.classical.deconvolution`: :func:`wiener`,
  :func:`self_tuned_wiener`, :func:`estimate_balance`, :func:`richardson_lucy` (+TV);
- :mod:`~cyclesem.restore.classical.blind`: :func:`blind_deconvolution`;
- :mod:`~cyclesem.restore.classical.noise`: :func:`estimate_noise_sigma`;
- :mod:`~cyclesem.restore.classical.sharpen`: :func:`unsharp_mask`;
- :mod:`~cyclesem.restore.classical.psf`: Gaussian, disk (defocus) and
  astigmatic PSFs (``synth`` uses them to degrade images);
- :mod:`~cyclesem.restore.classical.fourier`: the FFT helpers.

Data model: an observed image ``y`` is a clear image ``x`` blurred by a point
spread function ``h`` plus noise ``n``,

    y = h * x + n,

with ``*`` 2-D convolution and ``n`` zero-mean white noise of standard deviation
``sigma``. In the Fourier domain (frequency ``f``) this reads
``Y(f) = H(f) X(f) + N(f)``, ``H`` being the optical transfer function (OTF).

Every function follows scikit-image's shape: the image first, then the PSF, then
options; float32 out (float32 or float64 in: the work is done in float32);
nothing is clipped, so values outside [0, 1] survive. PSFs are 2-D arrays
centred on their middle pixel ``(rows // 2, cols // 2)``; they are normalised
to sum 1. Bad input raises ``ValueError`` (numeric code); the CLI turns
problems with the user's files into ``CyclesemError``.
"""

from cyclesem.restore.classical.blind import blind_deconvolution
from cyclesem.restore.classical.deconvolution import estimate_balance, richardson_lucy, self_tuned_wiener, wiener
from cyclesem.restore.classical.noise import estimate_noise_sigma
from cyclesem.restore.classical.sharpen import unsharp_mask

__all__ = [
    "wiener",
    "self_tuned_wiener",
    "estimate_noise_sigma",
    "estimate_balance",
    "richardson_lucy",
    "blind_deconvolution",
    "unsharp_mask",
]
