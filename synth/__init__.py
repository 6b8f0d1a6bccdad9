"""synth: SEM degradation models, procedural phantoms and benchmark generation.

Pure numpy/scipy: importing :mod:`synth` never imports TensorFlow.

- :mod:`cyclesem.restore.classical.psf`, :mod:`synth.blur`, :mod:`synth.fog`, :mod:`synth.noise`:
  the degradations, each a small pure function;
- :mod:`synth.degrade`: the chain, applied with one drawn set of parameters;
- :mod:`synth.recipes`: parameter ranges from TOML files (``synth/recipes/``);
- :mod:`synth.surfaces`, :mod:`synth.phantoms`: clean SEM-like images;
- :mod:`synth.benchmark`: benchmark folders with ground truth.
"""

from synth.benchmark import make_benchmark
from synth.degrade import Degradation, degrade
from synth.phantoms import PHANTOM_KINDS, make_phantom, random_phantom
from synth.recipes import Recipe, draw, load_recipe, recipe_names

__all__ = [
    "make_benchmark",
    "Degradation",
    "degrade",
    "PHANTOM_KINDS",
    "make_phantom",
    "random_phantom",
    "Recipe",
    "draw",
    "load_recipe",
    "recipe_names",
]
