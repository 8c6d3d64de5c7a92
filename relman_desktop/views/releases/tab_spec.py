"""What the release editor is given per tab: a title and a factory ``(store, editor) -> QWidget``.

Apart from ``release_editor.py`` so that the shell's composition root (``views/shell/screens.py``)
lists the tabs without importing the editor's code: the editor and its tabs are built the first
time a release is opened, not at start (issue 16).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from ..shell.store import Store
    from .release_editor import ReleaseEditor

TabFactory = Callable[["Store", "ReleaseEditor"], QWidget]


@dataclass
class TabSpec:
    title: str
    factory: TabFactory
