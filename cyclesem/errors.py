"""User-facing errors.

Every problem a user can cause (a bad file, a bad option, a bad config) is raised
as :class:`CyclesemError`; the CLI prints it as one line and exits non-zero.
"""

from __future__ import annotations

import os


class CyclesemError(Exception):
    """A problem with the user's input, reported as one line.

    Parameters
    ----------
    problem : str
        What is wrong, in words a user understands.
    path : str or os.PathLike, optional
        The file or folder the problem is about; it leads the message.
    """

    def __init__(self, problem: str, path: str | os.PathLike | None = None):
        self.problem = problem
        self.path = None if path is None else os.fspath(path)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: ``path: problem`` or ``problem``."""
        text = " ".join(str(self.problem).split())
        return f"{self.path}: {text}" if self.path else text
