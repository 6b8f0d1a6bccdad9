"""Sample data: a small SEM-like phantom, sharp and blurred (File > Open Sample > cyclesem).

The phantom (:func:`synth.phantoms.make_phantom`, particles on a rough
substrate) is 256 x 256 px, made in well under a second; the blurred one has
a Gaussian probe of 3.5 px and SEM shot and detector noise, the kind of image
``sem-deblur`` restores. Neither has a pixel size (scale 1 px).
"""

from __future__ import annotations

from cyclesem.napari_plugin import _library as library

__all__ = ["blurry_phantom", "sharp_phantom", "SIZE"]

SIZE = 256


def sharp_phantom() -> list[tuple]:
    """The sharp phantom as one image layer."""
    return [(library.phantom(SIZE), {"name": "phantom (sharp)"}, "image")]


def blurry_phantom() -> list[tuple]:
    """The phantom blurred and noisy, as one image layer."""
    return [(library.blurred_phantom(SIZE), {"name": "phantom (blurred)"}, "image")]
