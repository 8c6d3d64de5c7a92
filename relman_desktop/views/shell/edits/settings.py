"""Edits of the plan's settings: calendar windows, the plan's time zone, people, CIs, workflow
states and transitions, release templates and rules (see ``views.shell.edits``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from relman_desktop.services import cis, people, plan_zone, rules, templates, windows, workflow

from ..commands import Call, Ref, Step, op
from ._base import EditsBase


class SettingsEdits(EditsBase):
    # --- calendar windows ---------------------------------------------------------------------

    def add_window(self, fields: Mapping[str, Any]) -> int:
        """A new calendar window (``windows.create_window``'s fields); its id."""
        target = Ref("calendar_window", -1)
        forward = op(windows.create_window, **fields)
        forward.rebinds, forward.result_id = target, lambda info: info.id
        self._edit(
            f"add window {fields.get('title') or ''}",
            Step(forward, op(windows.delete_window, target)),
        )
        return target.id

    def update_window(
        self,
        window_id: int,
        title: str,
        fields: Mapping[str, Any],
        before: Mapping[str, Any],
        version: int | None = None,
    ) -> int:
        """Window ``window_id`` (titled ``title``) gets ``fields``; undo puts ``before`` back.
        ``version`` (here and in the other settings edits): the record's version as the form
        loaded it (its row's ``version``): a record someone saved since is refused with who
        and when; undo and redo check none."""
        target = self._ref("calendar_window", window_id)
        self._edit(
            f"edit window {title}",
            Step(
                op(windows.update_window, target, version=version, **fields),
                op(windows.update_window, target, **before),
                replay=lambda _r: op(windows.update_window, target, **fields),
            ),
        )
        return target.id

    def delete_window(
        self, window_id: int, title: str, before: Mapping[str, Any], version: int | None = None
    ) -> None:
        """Delete a window; undo creates it again from ``before`` (its fields)."""
        target = self._ref("calendar_window", window_id)
        back = op(windows.create_window, **before)
        back.rebinds, back.result_id = target, lambda info: info.id
        self._edit(
            f"delete window {title}",
            Step(
                op(windows.delete_window, target, version=version),
                back,
                replay=lambda _r: op(windows.delete_window, target),
            ),
        )

    # --- the plan's time zone -----------------------------------------------------------------

    def set_plan_zone(self, wanted: str, before: str) -> None:
        """The zone every document and view of the plan shows times in (undo: ``before``)."""
        self._edit(
            f"Set the plan's time zone to {wanted}",
            Step(op(plan_zone.set_plan_zone, wanted), op(plan_zone.set_plan_zone, before)),
        )

    # --- people -------------------------------------------------------------------------------

    def add_person(self, values: Mapping[str, Any]) -> str:
        """A new person; their e-mail address."""
        email: str = self._edit(
            f"add person {values.get('email') or ''}",
            Step(
                op(people.create_person, dict(values)),
                backward_from=lambda email: op(people.delete_person, email),
            ),
        )
        return email

    def update_person(
        self,
        email: str,
        diff: Mapping[str, Any],
        old: Mapping[str, Any],
        version: int | None = None,
    ) -> str:
        """Change the fields ``diff`` of the person known by ``email`` (``old``: what they held);
        the person's e-mail address afterwards. ``version`` (here and in the other settings
        edits): the record's version as the form loaded it (its row's ``version``): a record
        someone saved since is refused with who and when; undo and redo check none."""
        new_email = str(diff.get("email", email))
        self._edit(
            f"edit person {email}",
            Step(
                op(people.update_person, email, dict(diff), version=version),
                op(people.update_person, new_email, {k: old[k] for k in diff}),
                replay=lambda _r: op(people.update_person, email, dict(diff)),
            ),
        )
        return new_email

    def delete_person(
        self, email: str, before: Mapping[str, Any], version: int | None = None
    ) -> None:
        """Delete a person; undo creates them again from ``before``."""
        self._edit(
            f"delete person {email}",
            Step(
                op(people.delete_person, email, version=version),
                op(people.create_person, dict(before)),
                replay=lambda _r: op(people.delete_person, email),
            ),
        )

    # --- configuration items --------------------------------------------------------------------

    def add_ci(self, values: Mapping[str, Any]) -> str:
        """A new CI; its name."""
        name: str = self._edit(
            f"add CI {values.get('name') or ''}",
            Step(op(cis.create_ci, dict(values)), backward_from=lambda n: op(cis.delete_ci, n)),
        )
        return name

    def update_ci(
        self,
        name: str,
        diff: Mapping[str, Any],
        old: Mapping[str, Any],
        version: int | None = None,
    ) -> str:
        """Change the fields ``diff`` of CI ``name`` (``old``: what it held); its name after."""
        new_name = str(diff.get("name", name))
        self._edit(
            f"edit CI {name}",
            Step(
                op(cis.update_ci, name, dict(diff), version=version),
                op(cis.update_ci, new_name, {k: old[k] for k in diff}),
                replay=lambda _r: op(cis.update_ci, name, dict(diff)),
            ),
        )
        return new_name

    def delete_ci(
        self,
        name: str,
        before: Mapping[str, Any],
        children: Sequence[str],
        parents_of: Mapping[str, Sequence[str]],
        version: int | None = None,
    ) -> None:
        """Delete CI ``name``; undo brings it back from ``before`` with its parents, and puts it
        back above each of its ``children`` (whose parents were ``parents_of[child]``)."""
        back = [op(cis.create_ci, dict(before))]
        back += [
            op(cis.update_ci, child, {"parents": list(parents_of.get(child, [name]))})
            for child in children
        ]
        self._edit(
            f"delete CI {name}",
            Step(
                op(cis.delete_ci, name, version=version),
                back,
                replay=lambda _r: op(cis.delete_ci, name),
            ),
        )

    # --- workflow states --------------------------------------------------------------------------

    def add_state(self, name: str, category: str, role: str | None) -> str:
        self._edit(
            f"add state {name}",
            Step(
                op(workflow.add_state, name, category, None, None, role),
                op(workflow.delete_state, name),
            ),
        )
        return name

    def update_state(
        self,
        old_name: str,
        old_category: str,
        old_role: str | None,
        name: str,
        category: str,
        role: str | None,
        version: int | None = None,
    ) -> str:
        """Rename a state and/or set its category and role, as one undo step; its name after.
        ``version``: the state's as the form loaded it, checked by the first of the calls (the
        later ones see the state as the first left it)."""
        forward: list[Call] = []
        backward: list[Call] = []
        if name != old_name:
            forward.append(op(workflow.rename_state, old_name, name))
            backward.insert(0, op(workflow.rename_state, name, old_name))
        if category != old_category:
            forward.append(op(workflow.set_state_category, name, category))
            backward.insert(0, op(workflow.set_state_category, name, old_category))
        if role != old_role:
            forward.append(op(workflow.set_state_role, name, role))
            backward.insert(0, op(workflow.set_state_role, name, old_role))
        if forward:
            replay = list(forward)
            first = forward[0]
            forward[0] = op(first.fn, *first.args, **first.kwargs, version=version)
            self._edit(f"edit state {old_name}", Step(forward, backward, replay=lambda _r: replay))
        return name

    def delete_state(self, state: Any, transitions: Sequence[Any]) -> None:
        """Delete workflow ``state`` (a ``workflow.list_states`` row); deleting it deletes its
        ``transitions`` too (``workflow.list_transitions`` rows), and undo puts both back."""
        back: list[Call] = [
            op(
                workflow.add_state,
                state.name,
                state.category,
                state.color,
                state.position,
                state.role,
            )
        ]
        for t in transitions:
            call = op(workflow.add_transition, t.from_state, t.to_state, t.guards, t.label)
            call.rebinds = self._ref("workflow_transition", t.id)
            back.append(call)
        version = getattr(state, "version", None)  # as the form loaded it (undo/redo: none)
        self._edit(
            f"delete state {state.name}",
            Step(
                op(workflow.delete_state, state.name, version=version),
                back,
                replay=lambda _r: op(workflow.delete_state, state.name),
            ),
        )

    def reorder_states(self, text: str, order: Sequence[str], before: Sequence[str]) -> None:
        """Put the states in ``order`` (undo: ``before``)."""
        self._edit(
            text,
            Step(
                op(workflow.reorder_states, list(order)), op(workflow.reorder_states, list(before))
            ),
        )

    # --- workflow transitions -------------------------------------------------------------------

    @staticmethod
    def _add_transition(values: Mapping[str, Any], target: Ref) -> Call:
        call = op(
            workflow.add_transition,
            values["from_state"],
            values["to_state"],
            values["guards"],
            values["label"],
        )
        call.rebinds = target
        return call

    def add_transition(self, text: str, values: Mapping[str, Any]) -> int:
        """A new transition (``from_state``, ``to_state``, ``guards``, ``label``); its id."""
        target = Ref("workflow_transition", -1)
        self._edit(
            text,
            Step(self._add_transition(values, target), op(workflow.remove_transition, target)),
        )
        return target.id

    def set_transition_guards(
        self,
        text: str,
        transition_id: int,
        guards: Sequence[Any],
        before: Sequence[Any],
        version: int | None = None,
    ) -> int:
        target = self._ref("workflow_transition", transition_id)
        self._edit(
            text,
            Step(
                op(workflow.set_transition_guards, target, guards, version=version),
                op(workflow.set_transition_guards, target, before),
                replay=lambda _r: op(workflow.set_transition_guards, target, guards),
            ),
        )
        return target.id

    def replace_transition(
        self,
        text: str,
        transition_id: int,
        values: Mapping[str, Any],
        old: Mapping[str, Any],
    ) -> int:
        """No service changes a transition's states or label: replace it (undo swaps it back)."""
        target = self._ref("workflow_transition", transition_id)
        self._edit(
            text,
            Step(
                [op(workflow.remove_transition, target), self._add_transition(values, target)],
                [op(workflow.remove_transition, target), self._add_transition(old, target)],
                rollback=[self._add_transition(old, target)],
            ),
        )
        return target.id

    def remove_transition(
        self, text: str, transition_id: int, old: Mapping[str, Any], version: int | None = None
    ) -> None:
        target = self._ref("workflow_transition", transition_id)
        self._edit(
            text,
            Step(
                op(workflow.remove_transition, target, version=version),
                self._add_transition(old, target),
                replay=lambda _r: op(workflow.remove_transition, target),
            ),
        )

    # --- release templates ------------------------------------------------------------------------

    def add_template(
        self, name: str, release_type: str, body: Mapping[str, Any], duration_days: Any
    ) -> str:
        self._edit(
            f"add template {name}",
            Step(
                op(templates.create_template, name, release_type, dict(body), duration_days),
                op(templates.delete_template, name),
            ),
        )
        return name

    def update_template(
        self,
        name: str,
        values: Mapping[str, Any],
        old: Mapping[str, Any],
        version: int | None = None,
    ) -> str:
        """Template ``name`` gets ``values`` (``name``, ``release_type``, ``body``,
        ``default_duration_days``); undo puts ``old`` back. Its name after."""
        new_name = str(values.get("name") or "")
        forward = {
            "new_name": new_name,
            "release_type": values["release_type"],
            "body": values["body"] or {},
            "default_duration_days": values["default_duration_days"],
        }
        self._edit(
            f"edit template {name}",
            Step(
                op(templates.update_template, name, version=version, **forward),
                op(
                    templates.update_template,
                    new_name,
                    new_name=name,
                    release_type=old["release_type"],
                    body=old["body"],
                    default_duration_days=old["default_duration_days"],
                ),
                replay=lambda _r: op(templates.update_template, name, **forward),
            ),
        )
        return new_name

    def delete_template(self, template: Any) -> None:
        """Delete a template (a ``templates.list_templates`` row); undo creates it again."""
        self._edit(
            f"delete template {template.name}",
            Step(
                op(
                    templates.delete_template,
                    template.name,
                    version=getattr(template, "version", None),
                ),
                op(
                    templates.create_template,
                    template.name,
                    template.release_type,
                    template.body,
                    template.default_duration_days,
                ),
                replay=lambda _r: op(templates.delete_template, template.name),
            ),
        )

    # --- rules ------------------------------------------------------------------------------------

    def add_rule(self, values: Mapping[str, Any]) -> int:
        """A new rule (``name``, ``event``, ``conditions``, ``actions``, ``enabled``); its id."""
        target = Ref("rule", -1)
        forward = op(
            rules.create_rule,
            values.get("name") or "",
            values["event"],
            values["conditions"],
            values["actions"],
            enabled=values["enabled"],
        )
        forward.rebinds = target
        self._edit(
            f"add rule {values.get('name') or ''}", Step(forward, op(rules.delete_rule, target))
        )
        return target.id

    def update_rule(self, rule: Any, values: Mapping[str, Any]) -> int:
        """Rule ``rule`` (a ``rules.list_rules`` row) gets ``values``; its id."""
        target = self._ref("rule", rule.id)
        forward = {
            "name": values.get("name") or "",
            "event": values["event"],
            "conditions": values["conditions"],
            "actions": values["actions"],
            "enabled": values["enabled"],
        }
        self._edit(
            f"edit rule {rule.name}",
            Step(
                # the rule's version as the form loaded it (undo and redo check none)
                op(rules.update_rule, target, version=getattr(rule, "version", None), **forward),
                op(
                    rules.update_rule,
                    target,
                    name=rule.name,
                    event=rule.event,
                    conditions=rule.conditions,
                    actions=rule.actions,
                    enabled=rule.enabled,
                ),
                replay=lambda _r: op(rules.update_rule, target, **forward),
            ),
        )
        return target.id

    def delete_rule(self, rule: Any) -> None:
        target = self._ref("rule", rule.id)
        back = op(
            rules.create_rule,
            rule.name,
            rule.event,
            rule.conditions,
            rule.actions,
            enabled=rule.enabled,
            position=rule.position,
        )
        back.rebinds = target
        self._edit(
            f"delete rule {rule.name}",
            Step(
                op(rules.delete_rule, target, version=getattr(rule, "version", None)),
                back,
                replay=lambda _r: op(rules.delete_rule, target),
            ),
        )
