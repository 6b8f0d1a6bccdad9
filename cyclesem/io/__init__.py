"""Reading and writing SEM image files, and writing outputs safely.

:func:`read_image` decodes TIFF (tifffile), PNG, JPEG and BMP (OpenCV) by their
content, never by their extension, into a :class:`SemImage`: float32 pixels, an
:class:`ImageInfo` with what the file says about itself (format, dtype, bit
depth, vendor metadata) and the instrument's info bar. :func:`write_image`
writes processed pixels back the way the original was stored, with the info bar
and the vendor metadata tags put back unchanged, atomically and never over an
existing file unless asked. :func:`list_images` expands folders into image
files.

Modules: :mod:`~cyclesem.io.image` (``SemImage``, ``ImageInfo``, file lists),
:mod:`~cyclesem.io.read`, :mod:`~cyclesem.io.write`,
:mod:`~cyclesem.io.vendor` (FEI/Thermo and Zeiss metadata),
:mod:`~cyclesem.io.infobar` (finding the info bar),
:mod:`~cyclesem.io.outputs` (atomic writes, the output-folder policy),
:mod:`~cyclesem.io.stacks` (multi-page TIFF stacks page by page),
:mod:`~cyclesem.io.zarr_store` (Zarr / OME-Zarr arrays; zarr imported lazily).

Every problem with a file is a :class:`~cyclesem.errors.CyclesemError` naming
the file and the problem in one line. Nothing here imports TensorFlow.
"""

from cyclesem.io.image import IMAGE_SUFFIXES, ImageInfo, SemImage, list_images
from cyclesem.io.read import read_image
from cyclesem.io.write import write_image

__all__ = ["IMAGE_SUFFIXES", "ImageInfo", "SemImage", "list_images", "read_image", "write_image"]
