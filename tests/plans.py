"""Plans for the conflict tests, built row by row: ``Builder`` puts CIs, people, releases,
windows, tasks and dependencies straight into a plan with the ORM (inside one
``ctx.write()``), and ``random_plan`` draws a whole plan of them from a seed.

    from plans import Builder, berlin, random_plan  # tests/ is on sys.path under pytest
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CalendarWindow,
    Change,
    ConfigurationItem,
    Person,
    Release,
    ReleaseDependency,
    Task,
    WorkflowState,
)
from relman_desktop.services.base import Ctx

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


class Builder:
    """Rows straight through the ORM, inside one ``ctx.write()``."""

    def __init__(self, tx) -> None:
        self.s = tx.session
        self.states = {w.name: w for w in self.s.execute(select(WorkflowState)).scalars()}
        self.cis: dict[str, ConfigurationItem] = {}
        self.people: dict[str, Person] = {}

    def ci(self, name, env="production", needs_window=False, parents=()):
        ci = ConfigurationItem(
            name=name,
            ci_class=E.CIClass.SERVICE,
            environment=env,
            requires_maintenance_window=needs_window,
        )
        ci.parents = [self.cis[p] for p in parents]
        self.s.add(ci)
        self.cis[name] = ci
        return ci

    def person(self, email):
        p = Person(email=email, name=email.split("@")[0])
        self.s.add(p)
        self.people[email] = p
        return p

    def release(self, key, start=None, end=None, cis=(), status="Approved", rollback=None):
        rel = Release(
            key=key,
            title=f"Release {key}",
            type=E.ReleaseType.MINOR,
            status=self.states[status],
            deploy_start=start,
            deploy_end=end,
            rollback_minutes=rollback,
        )
        self.s.add(rel)
        self.s.flush()
        if cis:
            change = Change(
                key=f"CHG-{key}",
                title="change",
                type=E.ChangeType.NORMAL,
                category=E.ChangeCategory.FIX,
                release=rel,
            )
            change.cis = [self.cis[c] for c in cis]
            self.s.add(change)
        return rel

    def window(
        self,
        title,
        kind,
        start,
        end,
        *,
        tz="Europe/Berlin",
        rrule=None,
        hard=True,
        env=None,
        cis=(),
    ):
        w = CalendarWindow(
            title=title,
            kind=E.WindowKind(kind),
            hard=hard,
            start=start,
            end=end,
            timezone=tz,
            rrule=rrule,
            scope_environment=env,
        )
        w.cis = [self.cis[c] for c in cis]
        self.s.add(w)
        return w

    def depends(self, rel, prereq, kind="before"):
        self.s.add(
            ReleaseDependency(
                release_id=rel.id, prerequisite_id=prereq.id, kind=E.DependencyKind(kind)
            )
        )

    def task(self, rel, local_id, start, end, assignee, status="todo", phase="deploy"):
        self.s.add(
            Task(
                release_id=rel.id,
                local_id=local_id,
                title=f"Task {local_id}",
                phase=E.Phase(phase),
                assignee=self.people[assignee] if assignee else None,
                start=start,
                end=end,
                status=E.TaskStatus(status),
            )
        )


STATES = ["Planning", "Testing", "Approved", "Approved", "Approved", "Deploying", "Deployed"]
STATES += ["In Review", "On Hold", "Closed", "Cancelled"]


def random_plan(ctx: Ctx, rng: random.Random, n_releases: int, n_cis: int) -> None:
    """CIs with parents and children, four people, releases in every kind of state (some
    unscheduled, closed, cancelled, deployed), overlapping deployments, tasks, dependencies,
    hard and soft freezes, a nightly and a weekly maintenance window and a business event."""
    with ctx.write() as tx:
        b = Builder(tx)
        names = [f"ci-{i}" for i in range(n_cis)]
        for i, name in enumerate(names):  # parents come before their children
            parents = rng.sample(names[:i], k=min(i, rng.choice([0, 0, 1, 2])))
            b.ci(
                name,
                env=rng.choice(["production", "staging"]),
                needs_window=rng.random() < 0.3,
                parents=parents,
            )
        people = [f"p{i}@example.com" for i in range(4)]
        for email in people:
            b.person(email)
        b.window("Year-end", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4), hard=True)
        b.window(
            "Soft week",
            "freeze",
            berlin(2026, 12, 7),
            berlin(2026, 12, 9),
            hard=False,
            env="staging",
        )
        b.window(
            "Nightly",
            "maintenance",
            berlin(2026, 11, 1, 22),
            berlin(2026, 11, 2, 4),
            rrule="FREQ=DAILY",
            env="production",
        )
        b.window(
            "Weekend",
            "maintenance",
            berlin(2026, 11, 7, 20),
            berlin(2026, 11, 8, 6),
            rrule="FREQ=WEEKLY",
            cis=rng.sample(names, k=min(2, n_cis)),
        )
        b.window("Launch", "business_event", berlin(2026, 12, 11), berlin(2026, 12, 12))
        rels = []
        base = dt.datetime(2026, 12, 1, 20, tzinfo=dt.UTC)
        for i in range(n_releases):
            start = end = None
            if rng.random() < 0.9:
                start = base + dt.timedelta(
                    hours=rng.randrange(0, 24 * 20), minutes=30 * rng.randrange(2)
                )
                end = start + dt.timedelta(minutes=30 * rng.randint(1, 16))
            rels.append(
                b.release(
                    f"REL-{i:03d}",
                    start,
                    end,
                    cis=rng.sample(names, k=min(n_cis, rng.choice([0, 1, 1, 2, 3]))),
                    status=rng.choice(STATES),
                    rollback=rng.choice([None, 30, 120, 400]),
                )
            )
        for rel in rels:
            for n in range(rng.choice([0, 1, 2, 3])):
                day = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 40))
                b.task(
                    rel,
                    f"T{n}",
                    day,
                    day + dt.timedelta(days=rng.randrange(0, 3)),
                    rng.choice(people),
                    status=rng.choice(["todo", "todo", "in_progress", "done"]),
                )
        pairs: set[tuple[int, int]] = set()
        for _ in range(n_releases // 3):
            a, p = rng.sample(rels, 2)
            if (a.id, p.id) not in pairs and (p.id, a.id) not in pairs:
                pairs.add((a.id, p.id))
                b.depends(a, p, kind=rng.choice(["before", "before", "together"]))
