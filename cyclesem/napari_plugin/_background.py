"""Work off the viewer's thread: a napari worker, progress relayed to the Qt thread, problems as one line.

napari's workers report an exception as an error notification with its
traceback; :func:`start` catches it in the worker instead and hands the
widget one line (:func:`cyclesem.napari_plugin._library.one_line`), which it
shows as a plain error notification.
"""

from __future__ import annotations

from typing import Callable

from qtpy.QtCore import QObject, Signal

from cyclesem.napari_plugin import _library as library

__all__ = ["ProgressRelay", "start"]


class ProgressRelay(QObject):
    """Carries ``progress(finished, total)`` calls from a worker thread to the widget's thread (queued)."""

    advanced = Signal(int, int)

    def __call__(self, finished: int, total: int) -> None:
        self.advanced.emit(int(finished), int(total))


def start(work: Callable[[], object], done: Callable[[object], None], failed: Callable[[str], None],
          finished: Callable[[], None] | None = None):
    """Run ``work()`` in a napari thread worker; then ``done(result)`` or ``failed(line)`` on the Qt thread.

    Returns
    -------
    napari.qt.threading.FunctionWorker
        The started worker (``finished`` is connected to its end, whatever the outcome).
    """
    from napari.qt.threading import create_worker

    worker = create_worker(_outcome, work)
    worker.returned.connect(lambda outcome: done(outcome[1]) if outcome[0] else failed(outcome[1]))
    if finished is not None:
        worker.finished.connect(finished)
    worker.start()
    return worker


def _outcome(work: Callable[[], object]) -> tuple[bool, object]:
    try:
        return True, work()
    except Exception as exc:  # noqa: BLE001 - any problem becomes one line for the user, never a traceback
        return False, library.one_line(exc)
