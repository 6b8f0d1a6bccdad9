"""What the plugin's dock widgets share: a layer box, an action button, a status line, work off the Qt thread."""

from __future__ import annotations

from typing import Callable

from magicgui.widgets import Container, Label, PushButton

from cyclesem.napari_plugin import _background, _layers

__all__ = ["LayerWidget"]


class LayerWidget(Container):
    """A dock widget acting on one image layer: ``[layer box, *settings, button, *below, status]``.

    Subclasses set :meth:`start` as the button's action and call :meth:`run`
    for the work; problems go to :meth:`fail`.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose image layers the box lists.
    action : str
        The button's text.
    settings, below : list of magicgui widgets
        Rows above and below the button.
    """

    def __init__(self, viewer, action: str, settings: list, below: tuple = ()):
        super().__init__(labels=True)
        self.viewer = viewer
        self.layer = _layers.layer_box(viewer)
        self.button = PushButton(text=action)
        self.status = Label(value="")
        self.status.native.setWordWrap(True)
        self.extend([self.layer, *settings, self.button, *below, self.status])
        self.button.changed.connect(self.start)
        self.worker = None

    def start(self) -> None:
        """The button's action."""
        raise NotImplementedError

    def run(self, work: Callable[[], object], done: Callable[[object], None], what: str) -> None:
        """``work()`` in a worker thread, the button disabled until it ends; then ``done(result)`` or :meth:`fail`."""
        self.button.enabled, self.status.value = False, what
        self.worker = _background.start(work, done, self.fail, finished=lambda: setattr(self.button, "enabled", True))

    def fail(self, line: str) -> None:
        """Show a one-line problem as an error notification and in the status line."""
        from napari.utils.notifications import show_error

        self.status.value = line
        show_error(line)
