"""Pretrained networks shipped inside the package, and their model cards.

Each model is a folder of this package named after it (``sem-deblur``,
``sem-denoise``) laid out as a finished run folder (see :mod:`cyclesem.runs`):
``config.json``, ``state.json``, ``generator.keras`` (loads with
``safe_mode=True``), plus ``card.md``, its model card. So a model name is
accepted wherever a run folder is: :func:`resolve` turns a name into its
folder, and :func:`cyclesem.runs.load_run` calls it for paths that do not exist.

A card is markdown: a ``# NAME`` title, a one-line summary (the next non-empty
line, shown by ``cyclesem models``) and the sections of :data:`CARD_SECTIONS`.
Importing this module imports neither TensorFlow nor Keras.
"""

from __future__ import annotations

import os
from pathlib import Path

from cyclesem.errors import CyclesemError

__all__ = ["CARD_FILE", "CARD_SECTIONS", "model_names", "model_dir", "card", "summary", "resolve",
           "is_model_name", "card_problems"]

CARD_FILE = "card.md"
CARD_SECTIONS = ("What it restores", "Pixel size", "Training data and licence", "Recipe", "Scores")
"""Second-level headings every model card has."""

_HERE = Path(__file__).resolve().parent


def model_names() -> list[str]:
    """Names of the packaged models, sorted."""
    return sorted(p.name for p in _HERE.iterdir() if (p / CARD_FILE).is_file())


def is_model_name(name: str | os.PathLike) -> bool:
    """Whether ``name`` is a packaged model's name."""
    return isinstance(name, str) and name in model_names()


def model_dir(name: str) -> Path:
    """The packaged model's folder (a run folder).

    Raises
    ------
    CyclesemError
        For an unknown name, listing the known ones.
    """
    if not is_model_name(name):
        raise CyclesemError(f"unknown model {name!r}; packaged models: {', '.join(model_names())} "
                            f"(or give a run folder of 'cyclesem train')")
    return _HERE / name


def card(name: str) -> str:
    """The model card (markdown) of the packaged model ``name``."""
    return (model_dir(name) / CARD_FILE).read_text(encoding="utf-8")


def summary(name: str) -> str:
    """The card's one-line summary: its first non-empty line after the title."""
    lines = [line.strip() for line in card(name).splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else ""


def card_problems(text: str, name: str) -> list[str]:
    """What a card lacks: the ``# NAME`` title, a summary line, any of :data:`CARD_SECTIONS`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    problems = [] if lines and lines[0] == f"# {name}" else [f"the card must start with '# {name}'"]
    if len(lines) < 2 or lines[1].startswith("#"):
        problems.append("the title must be followed by a one-line summary")
    headings = {line[3:].strip() for line in lines if line.startswith("## ")}
    problems += [f"missing section '## {section}'" for section in CARD_SECTIONS if section not in headings]
    return problems


def resolve(path_or_name: str | os.PathLike) -> Path:
    """A run folder for ``path_or_name``: an existing path as given, else a packaged model's folder.

    An existing folder wins over a model of the same name. A path that does not
    exist and is not a model name gives :class:`CyclesemError`: for a bare name
    (no folder separator) one listing the packaged models, else "no such folder".
    """
    path = Path(path_or_name)
    if path.exists():
        return path
    text = str(path_or_name)
    if is_model_name(text):
        return model_dir(text)
    if os.sep in text or (os.altsep and os.altsep in text):
        raise CyclesemError("not a run folder (no such folder)", path)
    return model_dir(text)  # raises: unknown model, listing the known ones
