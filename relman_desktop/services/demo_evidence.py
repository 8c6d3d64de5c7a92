"""The demo's evidence of each release (see ``services.demo``): test runs, approval stages
with every kind of decision, deployments (some failed, rolled back or partial) and links.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    Deployment,
    LinkedRecord,
    Release,
    TestRun,
)

from .demo_base import _Rel
from .demo_data import (
    DAY,
    DEFECTS,
    HOUR,
    LEVEL,
    MINUTE,
    MORE_INFO_COMMENTS,
    REJECT_COMMENTS,
    REQUIRED_TESTS,
    RULE_NAME,
    WAVE_LABELS,
    _berlin,
    _stage_status,
    _utc,
)
from .demo_setup import _DemoSetup


class _DemoEvidence(_DemoSetup):
    """What a release's state says has happened to it."""

    def _tests(
        self, rel: _Rel, level: int, dates: dict[str, tuple[dt.date, dt.date]], version: str
    ) -> None:
        if level < 2:
            return
        rng = self.rng
        app = rel.app
        assert app is not None
        required = REQUIRED_TESTS[rel.type]
        day_of = {
            "unit": dates["T4"][0],
            "integration": dates["T6"][0],
            "regression": dates["T6"][1],
            "performance": dates["T6"][1],
            "security": dates["T6"][0],
            "uat": dates.get("T7", dates["T6"])[1],
        }
        sizes = {
            "unit": (800, 3000),
            "integration": (120, 400),
            "regression": (300, 900),
            "performance": (12, 40),
            "security": (20, 80),
            "uat": (15, 60),
        }
        if level == 2:  # in testing: half the evidence is in, and the first in the plan still fails
            kinds = required[: max(1, (len(required) + 1) // 2)]
            failing = kinds[-1] if rel.idx % 2 == 0 else None
        else:
            kinds, failing = list(required), None
        if level >= 3 and rng.random() < 0.4:
            kinds.append(
                rng.choice(
                    [k for k in ("performance", "security") if k not in required] or ["regression"]
                )
            )
        for kind in kinds:
            lo, hi = sizes[kind]
            at = _utc(day_of[kind], 14, rng.randint(0, 59))
            if kind == failing:
                verdicts = ["failed"]
            elif level >= 3 and rng.random() < 0.12:
                verdicts = ["failed", "passed"]  # fixed and re-run: the latest run counts
            else:
                verdicts = ["passed"]
            for attempt, verdict in enumerate(verdicts):
                failed = rng.randint(1, 9) if verdict == "failed" else 0
                self._add(
                    TestRun.__table__,
                    {
                        "release_id": rel.id,
                        "kind": kind,
                        "environment": "staging",
                        "passed": rng.randint(lo, hi),
                        "failed": failed,
                        "skipped": rng.randint(0, 5),
                        "run_at": self._past(at + attempt * 3 * HOUR, 60 - attempt * 6),
                        "source": None
                        if kind == "uat"
                        else f"junit/{app.slug}-{kind}-{version}.xml",
                        "verdict": verdict,
                    },
                )

    def _stages_for(self, rel: _Rel) -> list[tuple[str, str, int | None, list[int]]]:
        app = rel.app
        assert app is not None
        k = rel.idx
        cab_pool = [p for p in self.cab_pool if p != app.manager]
        cab = [cab_pool[(k + j) % len(cab_pool)] for j in range(3)]
        qa = self.qa_pool[k % len(self.qa_pool)]
        qa2 = self.qa_pool[(k + 1) % len(self.qa_pool)]
        if rel.type == "major":
            return [
                ("QA sign-off", "all", None, [qa, qa2] if qa2 != qa else [qa]),
                ("CAB", "majority", None, cab),
                ("Business", "percent", 50, app.stakeholders),
            ]
        if rel.type == "minor":
            return [
                ("QA sign-off", "all", None, [qa]),
                ("CAB", "majority", None, cab),
                ("Business", "first_response", None, app.stakeholders),
            ]
        if rel.type == "emergency":
            return [
                ("QA sign-off", "any", None, [qa, qa2] if qa2 != qa else [qa]),
                ("CAB", "first_response", None, cab),
            ]
        return [("QA sign-off", "all", None, [qa]), ("CAB", "majority", None, cab)]

    def _approvals(self, rel: _Rel, level: int, dates: dict[str, tuple[dt.date, dt.date]]) -> None:
        rng = self.rng
        stages = self._stages_for(rel)
        requested = self._past(_utc(dates["T9"][0], 8, 0), 40)
        approve_end = _utc(dates["T9"][1], 17, 0)
        flavour = None
        if rel.status == "Awaiting Approval":
            flavour = self.counts["awaiting"] % 4
            self.counts["awaiting"] += 1
        elif level == 3:  # held or cancelled while waiting
            flavour = rel.idx % 4
        for position, (name, rule, percent, approvers) in enumerate(stages, start=1):
            votes: list[dict[str, Any]] = []
            for person in approvers:
                vote: dict[str, Any] = {
                    "approver_id": person,
                    "decision": "pending",
                    "comment": None,
                    "requested_at": None,
                    "decided_at": None,
                    "delegated_to_id": None,
                }
                if level >= 3:
                    vote["requested_at"] = requested
                if level >= 4 or (level == 3 and name == "QA sign-off" and flavour != 2):
                    vote["decision"] = "approved"
                votes.append(vote)
            if level >= 4:
                self._settled_variety(rel, name, rule, votes, approvers)
            elif level == 3:
                self._awaiting_variety(flavour, name, rule, votes, approvers)
            for j, vote in enumerate(votes):
                if vote["decision"] != "pending":
                    decided = requested + rng.randint(1, 30) * HOUR + j * 17 * MINUTE
                    decided = min(decided, max(approve_end, requested + HOUR))
                    vote["decided_at"] = max(self._past(decided, 1), requested + 5 * MINUTE)
            if rel.type == "standard" and name == "CAB" and level >= 4:
                for vote in votes:
                    vote["comment"] = (
                        f"Pre-approved by the rule '{RULE_NAME}': all required tests passed."
                    )
            status = _stage_status(rule, percent, [(v["decision"], v["decided_at"]) for v in votes])
            stage_id = self._add(
                ApprovalStage.__table__,
                {
                    "release_id": rel.id,
                    "position": position,
                    "name": name,
                    "rule": rule,
                    "percent": percent,
                    "status": status,
                },
            )
            for vote in votes:
                vote["stage_id"] = stage_id
                self._add(Approval.__table__, vote)

    def _deputy(self, approvers: list[int]) -> int | None:
        return next((p for p in self.cab_pool if p not in approvers), None)

    def _settled_variety(
        self, rel: _Rel, name: str, rule: str, votes: list[dict[str, Any]], approvers: list[int]
    ) -> None:
        """Approved stages, but not all alike: a dissenting vote, a delegated vote, a silent member."""
        if name != "CAB" or rule != "majority" or len(votes) < 3 or rel.type == "standard":
            if rule == "first_response" and len(votes) > 1:
                votes[-1]["decision"] = "pending"  # the first answer settled it
            return
        variant = rel.idx % 5
        if variant == 1:
            votes[2]["decision"] = "rejected"
            votes[2]["comment"] = "Outvoted: " + self.rng.choice(REJECT_COMMENTS)
        elif variant == 2:
            deputy = self._deputy(approvers)
            if deputy is not None:
                votes[1]["delegated_to_id"] = deputy
                votes[1]["comment"] = (
                    f"Delegated to {self.person_name[deputy]} while on leave; approved."
                )
        elif variant == 3:
            votes[2]["decision"] = "pending"

    def _awaiting_variety(
        self,
        flavour: int | None,
        name: str,
        rule: str,
        votes: list[dict[str, Any]],
        approvers: list[int],
    ) -> None:
        """Releases waiting for approval show every kind of answer between them."""
        rng = self.rng
        if name == "CAB" and len(votes) >= 3:
            if flavour == 0:
                votes[0]["decision"] = "approved"
                votes[1]["decision"], votes[1]["comment"] = (
                    "more_info",
                    rng.choice(MORE_INFO_COMMENTS),
                )
                votes[2]["decision"], votes[2]["comment"] = "rejected", rng.choice(REJECT_COMMENTS)
            elif flavour == 1:
                votes[0]["decision"] = "approved"
                votes[1]["decision"] = "approved"
            elif flavour == 3:
                votes[0]["decision"] = "approved"
                votes[1]["decision"], votes[1]["comment"] = (
                    "more_info",
                    rng.choice(MORE_INFO_COMMENTS),
                )
        elif name == "Business":
            if flavour == 0:
                deputy = self._deputy(approvers)
                if deputy is not None:
                    votes[0]["delegated_to_id"] = deputy
                    votes[0]["comment"] = (
                        f"Delegated to {self.person_name[deputy]} while travelling."
                    )
            elif flavour == 1 and rule == "first_response":
                votes[0]["decision"], votes[0]["comment"] = "rejected", rng.choice(REJECT_COMMENTS)
            elif flavour == 3:
                votes[0]["decision"] = "approved"
        elif name == "QA sign-off" and flavour == 2 and len(votes) > 1:
            votes[0]["decision"] = "approved"

    def _deployments(
        self,
        rel: _Rel,
        level: int,
        dates: dict[str, tuple[dt.date, dt.date]],
        strategy: str,
        w_start: dt.datetime,
        w_end: dt.datetime,
        rollback_minutes: int,
    ) -> None:
        rng = self.rng
        table = Deployment.__table__
        if level >= 2:
            started = self._past(_utc(dates["T5"][0], 10, rng.randint(0, 50)), 80)
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "environment": "staging",
                    "wave": None,
                    "started_at": started,
                    "finished_at": started + rng.randint(15, 50) * MINUTE,
                    "outcome": "success",
                    "incidents": 0,
                    "failure_detected_at": None,
                    "restored_at": None,
                    "hotfix": False,
                },
            )
        if level < 6:
            return
        labels = WAVE_LABELS.get(strategy, [None])
        step = (w_end - w_start - 10 * MINUTE) / len(labels)
        broken_wave = {"failed": 0, "partial": 1, "rolled_back": len(labels) - 1}.get(rel.flavour)
        t = w_start + 5 * MINUTE
        for i, label in enumerate(labels):
            row: dict[str, Any] = {
                "release_id": rel.id,
                "environment": "production",
                "wave": label,
                "started_at": t,
                "finished_at": t + step - 5 * MINUTE,
                "outcome": "success",
                "incidents": 0,
                "failure_detected_at": None,
                "restored_at": None,
                "hotfix": False,
            }
            self._add(table, row)
            t += step
            if i != broken_wave:
                continue
            detected = row["started_at"] + rng.randint(10, 40) * MINUTE
            row["finished_at"] = max(row["finished_at"], detected)
            row["incidents"] = rng.randint(1, 2)
            row["failure_detected_at"] = detected
            if rel.flavour == "rolled_back":
                row["outcome"] = "rolled_back"
                row["restored_at"] = detected + (rollback_minutes + rng.randint(-10, 25)) * MINUTE
                break
            # Failed or partial: service restored, then the release finished with a hotfix.
            row["outcome"] = rel.flavour
            row["hotfix"] = True
            row["restored_at"] = (
                detected + rng.randint(15, 120 if rel.flavour == "failed" else 240) * MINUTE
            )
            if rel.flavour == "failed":  # fixed forward the same night
                again = row["restored_at"] + 10 * MINUTE
            else:  # the remaining wave goes out a few days later
                again = _berlin(rel.deploy_day + 3 * DAY, 22, 15)
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "environment": "production",
                    "wave": "hotfix",
                    "started_at": again,
                    "finished_at": again + rng.randint(20, 60) * MINUTE,
                    "outcome": "success",
                    "incidents": 0,
                    "failure_detected_at": None,
                    "restored_at": None,
                    "hotfix": False,
                },
            )
            break

    def _links(self, rel: _Rel, change_keys: list[str], topics: list[str]) -> None:
        rng = self.rng
        app = rel.app
        assert app is not None
        table = LinkedRecord.__table__

        def link(kind: str, prefix: str, title: str, relation: str) -> None:
            key = f"{prefix}-{rng.randint(1000, 99999)}"
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "kind": kind,
                    "external_key": key,
                    "title": title,
                    "url": f"https://itsm.example.com/{kind}/{key}",
                    "relation": relation,
                },
            )

        if rel.type == "emergency":
            title = self.rows[Release.__table__][-1]["title"]
            link(
                "incident",
                "INC",
                f"{app.name} outage: " + title.rsplit(" for ", 1)[0],
                "initiated_by",
            )
        elif rng.random() < 0.6:
            link(
                "request",
                "REQ",
                f"{topics[0][0].upper() + topics[0][1:]} for {app.team}",
                "initiated_by",
            )
        if rel.type == "patch" or rng.random() < 0.25:
            link("problem", "PRB", f"Recurring {rng.choice(DEFECTS)}", "fixes")
        if rel.flavour != "success" and LEVEL[rel.effective] >= 6:
            link(
                "incident",
                "INC",
                f"{app.name} degraded after the {rel.key} deployment",
                "caused_by",
            )
        if rng.random() < 0.3:
            link(
                "knowledge_article",
                "KB",
                f"{app.name}: operating notes for {topics[0]}",
                "documents",
            )
