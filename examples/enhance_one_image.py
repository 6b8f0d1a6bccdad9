"""Enhance one SEM image with a trained run; adapt the three paths to your files.

Usage: python examples/enhance_one_image.py RUN_FOLDER IMAGE OUTPUT
(RUN_FOLDER from `cyclesem train`; OUTPUT keeps IMAGE's format, bit depth, metadata and info bar.)
"""

import sys

import cyclesem

run_folder, image_path, output_path = sys.argv[1:4]

run = cyclesem.load_run(run_folder)                        # the trained network and its normalisation
image = cyclesem.read_image(image_path)                    # pixels, info bar and metadata
print(f"{image_path}: {image.info.shape[1]} x {image.info.shape[0]} px, {image.info.dtype}")

sharp = cyclesem.enhance_image(run, image.content)         # the part above the info bar, tile by tile
cyclesem.write_image(output_path, sharp, like=image)       # info bar and metadata put back unchanged
print(f"enhanced with {run.describe()} -> {output_path}")
