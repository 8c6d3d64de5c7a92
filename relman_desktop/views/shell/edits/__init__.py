"""Every write a view makes to the plan, as a typed method of the store: ``store.edits.<method>``.

This is the one place (with ``views.shell.store`` and ``views.shell.commands``) that builds undo
steps (``Step``/``op``) or calls a service write operation (``@operation`` in
``services.base``). Views never do: ``tests/views/test_gateway.py`` walks every module under
``views/`` and fails on one that references a write operation, ``Step``, ``op``, ``edit``,
``attempt``, ``ref`` or ``Call`` itself.

How to use it from a view::

    try:
        self.store.edits.add_task(key, {"local_id": "T4", "title": "Smoke test"})
    except Refused as exc:          # from views.shell.commands: the service's one-line reason
        self.notice.show_error(str(exc))  # and ``exc.field``, the field it names (if any)

Each method runs its service operation(s) now, in one short transaction each, pushes one undo
step on ``store.undo_stack`` (a macro when it has several parts) holding plain data, and the
store announces what changed (signals derived from the change set: no view picks signals). A
refused edit puts back what it had done, pushes nothing and raises ``Refused``; the ``run_*``
methods are writes that are not undoable (a demo, an import's remembered mapping, a CAB meeting)
and answer ``Store.FAILED`` (after ``store.error``) instead of raising.

The release's own fields and lifecycle stay on the store itself: ``store.update_release``,
``store.create_release``, ``store.delete_release``, ``store.transition``.

To add a write: add the service function with ``@operation`` (``services.base``), then a method
here (in the module of its screen: ``settings``, ``release_tabs``, ``plan``) that says in words
what the undo step is called, what it does and what takes it back; call that from the view.
"""

from __future__ import annotations

from .plan import PlanEdits
from .release_tabs import FieldChange, ReleaseTabEdits, TaskLink
from .settings import SettingsEdits

__all__ = ["Edits", "FieldChange", "TaskLink"]


class Edits(SettingsEdits, ReleaseTabEdits, PlanEdits):
    """The store's edit methods (``store.edits``), grouped by screen in the modules above."""
