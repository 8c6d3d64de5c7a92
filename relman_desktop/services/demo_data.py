"""What the demo plan is made of: applications, people, task and change templates, the words of
reviews and decisions, deployment strategies, and the small date helpers the generator
(``demo``) uses. Data only; nothing here touches a plan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_RELEASES = 40
MAX_RELEASES = 100_000

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)

# --- reference data ------------------------------------------------------------------------------

# (name, slug, team, topics)
DEFAULT_APPS: list[tuple[str, str, str, list[str]]] = [
    (
        "Billing",
        "billing",
        "Finance Systems",
        [
            "invoice PDF layout",
            "VAT breakdown on invoices",
            "SEPA direct debit",
            "dunning workflow",
            "payment retries",
            "credit notes",
            "usage-based pricing",
            "tax rules for 2027",
        ],
    ),
    (
        "Customer Portal",
        "portal",
        "Digital Channels",
        [
            "self-service address change",
            "new sign-in page",
            "accessibility fixes",
            "order history search",
            "contract download",
            "support chat widget",
            "cookie consent update",
            "saved payment methods",
        ],
    ),
    (
        "Mobile App",
        "mobile",
        "Mobile",
        [
            "push notifications",
            "biometric sign-in",
            "offline mode",
            "dark theme",
            "in-app payments",
            "crash fixes on Android 15",
            "store rating prompt",
            "deep links from e-mail",
        ],
    ),
    (
        "Data Platform",
        "data-platform",
        "Data Engineering",
        [
            "Kafka 3.8 upgrade",
            "nightly ETL tuning",
            "GDPR deletion jobs",
            "data catalogue",
            "warehouse partitioning",
            "near-real-time sales dashboard",
            "schema registry",
            "backfill tooling",
        ],
    ),
    (
        "Identity",
        "identity",
        "Security Engineering",
        [
            "MFA enforcement for staff",
            "SAML certificate rotation",
            "password policy",
            "OIDC for partners",
            "session timeout changes",
            "LDAP sync fixes",
            "passkey support",
            "admin audit log",
        ],
    ),
]

EXTRA_APP_WORDS = [
    "Claims",
    "Payroll",
    "Inventory",
    "Logistics",
    "Pricing",
    "Search",
    "Notifications",
    "Reporting",
    "Loyalty",
    "Catalogue",
    "Checkout",
    "Scheduling",
    "Fleet",
    "Documents",
    "Messaging",
    "Partner",
    "Analytics",
    "Compliance",
    "Onboarding",
    "Procurement",
]
EXTRA_APP_SUFFIXES = ["Service", "Portal", "Engine", "Hub", "API", "Gateway"]
EXTRA_TOPICS = [
    "performance improvements",
    "new export format",
    "audit trail",
    "bulk editing",
    "API v2",
    "accessibility fixes",
    "faster search",
    "configurable notifications",
    "single sign-on",
    "multi-currency support",
    "archiving of old records",
    "dashboard redesign",
]

# (name, team, roles) — the default cast; larger plans add generated people.
DEFAULT_PEOPLE: list[tuple[str, str, list[str]]] = [
    ("Ana Silva", "Release Management", ["release_manager", "cab_member"]),
    ("Jonas Becker", "Release Management", ["release_manager"]),
    ("Priya Natarajan", "Release Management", ["release_manager"]),
    ("Marta Kowalski", "Change Advisory Board", ["cab_member", "approver"]),
    ("David Okafor", "IT Operations", ["cab_member", "approver"]),
    ("Sofia Rossi", "Information Security", ["cab_member", "approver"]),
    ("Lukas Wagner", "Enterprise Architecture", ["cab_member", "approver"]),
    ("Chen Wei", "Quality Assurance", ["release_team", "approver"]),
    ("Fatima Haddad", "Quality Assurance", ["release_team", "approver"]),
    ("Tom Eriksen", "Platform Engineering", ["release_team"]),
    ("Elena Petrova", "Mobile", ["release_team"]),
    ("Max Müller", "Data Engineering", ["release_team"]),
    ("Claire Dubois", "Finance", ["stakeholder", "approver"]),
    ("Ravi Kumar", "Digital Channels", ["stakeholder", "approver"]),
    ("Hannah Schmidt", "Customer Service", ["stakeholder", "approver"]),
]
FIRST_NAMES = [
    "Alex",
    "Bea",
    "Carlos",
    "Dana",
    "Emil",
    "Freya",
    "Goran",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samir",
    "Tara",
    "Uwe",
    "Vera",
    "Wim",
    "Yara",
]
LAST_NAMES = [
    "Andersen",
    "Brandt",
    "Costa",
    "Dimitrov",
    "Evans",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ito",
    "Jansen",
    "Kaur",
    "Larsen",
    "Moreau",
    "Nowak",
    "Olsen",
    "Pereira",
    "Quinn",
    "Richter",
    "Sato",
    "Tanaka",
    "Ueda",
    "Vogel",
    "Weber",
    "Young",
    "Zimmermann",
]

STATE_NAMES = [
    "Planning",
    "Build",
    "Testing",
    "Awaiting Approval",
    "Approved",
    "Deploying",
    "Deployed",
    "In Review",
    "Closed",
    "On Hold",
    "Cancelled",
    "Rolled Back",
]
# How far a release has come (its effective state; On Hold and Cancelled use the state before).
LEVEL = {
    "Planning": 0,
    "Build": 1,
    "Testing": 2,
    "Awaiting Approval": 3,
    "Approved": 4,
    "Deploying": 5,
    "Deployed": 6,
    "Rolled Back": 6,
    "In Review": 7,
    "Closed": 8,
}
# The level at which each phase's tasks are all done.
PHASE_DONE_AT = {
    "plan": 1,
    "build": 2,
    "test": 3,
    "rollback": 3,
    "approve": 4,
    "deploy": 6,
    "verify": 7,
    "review": 8,
}
# The phase being worked on at each level (Approved waits for its window).
ACTIVE_PHASE = {0: "plan", 1: "build", 2: "test", 3: "approve", 6: "verify", 7: "review"}

TYPE_WEIGHTS = [("minor", 42), ("patch", 24), ("standard", 16), ("major", 8), ("emergency", 10)]
TYPE_RISK_PRIORITY = {
    "major": ("high", "high"),
    "minor": ("medium", "medium"),
    "patch": ("low", "medium"),
    "standard": ("low", "low"),
    "emergency": ("high", "critical"),
}
TYPE_STRATEGIES = {
    "major": ["blue_green", "canary"],
    "minor": ["canary", "rolling"],
    "patch": ["rolling", "big_bang"],
    "standard": ["rolling", "feature_flag"],
    "emergency": ["big_bang"],
}
REQUIRED_TESTS = {
    "major": ["unit", "integration", "regression", "performance", "security", "uat"],
    "minor": ["unit", "integration", "regression"],
    "standard": ["unit", "integration", "regression"],
    "patch": ["unit", "regression"],
    "emergency": ["regression"],
}
STANDARD_TEMPLATE = "Standard minor release"
EMERGENCY_TEMPLATE = "Emergency patch"
TEMPLATE_OF_TYPE = {
    "minor": STANDARD_TEMPLATE,
    "standard": STANDARD_TEMPLATE,
    "emergency": EMERGENCY_TEMPLATE,
}
RULE_NAME = "Standard release pre-approved by CAB"

# Task plan per release type: (id, title, phase, role, {type: working days}, [(pred, type, lag)]).
# Phases before deployment are laid out in working days ending the Friday before the window.
TASKS: list[tuple[str, str, str, str, dict[str, int], list[tuple[str, str, int]]]] = [
    (
        "T1",
        "Confirm scope, objectives and risk assessment",
        "plan",
        "manager",
        {"major": 3, "minor": 2, "standard": 2, "patch": 1, "emergency": 1},
        [],
    ),
    (
        "T2",
        "Agree communication plan with stakeholders",
        "plan",
        "manager",
        {"major": 2, "minor": 1, "standard": 1},
        [("T1", "SS", 1)],
    ),
    (
        "T3",
        "Build release package {version}",
        "build",
        "team",
        {"major": 10, "minor": 5, "standard": 4, "patch": 3, "emergency": 1},
        [("T1", "FS", 0)],
    ),
    (
        "T4",
        "Tag repository and publish artefacts",
        "build",
        "team",
        {"major": 1, "minor": 1, "standard": 1, "patch": 1, "emergency": 1},
        [("T3", "FS", 0)],
    ),
    (
        "T5",
        "Deploy {version} to staging",
        "test",
        "team",
        {"major": 1, "minor": 1, "standard": 1, "patch": 1, "emergency": 1},
        [("T4", "FS", 0)],
    ),
    (
        "T6",
        "Run regression and integration suites",
        "test",
        "qa",
        {"major": 4, "minor": 2, "standard": 2, "patch": 2, "emergency": 1},
        [("T5", "FS", 0)],
    ),
    (
        "T7",
        "User acceptance testing with the product owner",
        "test",
        "stakeholder",
        {"major": 4, "minor": 2, "standard": 2},
        [("T6", "SS", 1)],
    ),
    (
        "T8",
        "Rehearse rollback on staging",
        "rollback",
        "team",
        {"major": 1, "minor": 1, "standard": 1, "patch": 1},
        [("T6", "SS", 1)],
    ),
    (
        "T9",
        "CAB review and sign-off",
        "approve",
        "manager",
        {"major": 2, "minor": 2, "standard": 1, "patch": 1, "emergency": 1},
        [("T6", "FS", 0), ("T7", "FS", 0), ("T8", "FS", 0)],
    ),
    (
        "T10",
        "Production deployment in the maintenance window",
        "deploy",
        "team",
        {t: 1 for t in REQUIRED_TESTS},
        [("T9", "FS", 0)],
    ),
    (
        "T11",
        "Post-deployment verification and monitoring",
        "verify",
        "qa",
        {t: 1 for t in REQUIRED_TESTS},
        [("T10", "FS", 0)],
    ),
    (
        "T12",
        "Post-release review and lessons learned",
        "review",
        "manager",
        {t: 1 for t in REQUIRED_TESTS},
        [("T11", "FS", 2)],
    ),
]
EMERGENCY_TITLES = {
    "T1": "Assess the incident and scope the fix",
    "T3": "Build hotfix {version}",
    "T9": "Emergency CAB sign-off",
}
TASK_PHASE = {t[0]: t[2] for t in TASKS}
PRE_DEPLOY = ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9")

CHANGE_CATEGORY_WEIGHTS = [
    ("feature", 34),
    ("fix", 28),
    ("security", 12),
    ("configuration", 10),
    ("infrastructure", 10),
    ("documentation", 6),
]
CATEGORY_RISK = {
    "feature": "medium",
    "fix": "low",
    "security": "high",
    "configuration": "low",
    "infrastructure": "high",
    "documentation": "low",
}
DEFECTS = [
    "timeout when exporting large reports",
    "wrong currency symbol on receipts",
    "duplicate e-mail notifications",
    "session lost after a password change",
    "slow search on long lists",
    "rounding error in monthly totals",
    "missing translations in the French UI",
    "crash when uploading HEIC photos",
]
LIBRARIES = [
    "OpenSSL",
    "Spring Framework",
    "jackson-databind",
    "nginx",
    "Node.js",
    "PostgreSQL JDBC driver",
]
CONFIG_ITEMS = [
    "connection pool size",
    "cache expiry",
    "API rate limits",
    "feature flag defaults",
    "log retention",
]
INFRA_WORK = [
    "Move the database to PostgreSQL 16",
    "Upgrade the Kubernetes node pool",
    "Add a read replica",
    "Renew TLS certificates",
    "Switch to the new load balancer",
]
DOCS = ["operations runbook", "API reference", "user guide", "release checklist"]
KNOWN_ISSUES = [
    "Documents generated before the upgrade keep the old layout.",
    "Users signed in during the deployment must sign in again.",
    "The first report after the upgrade takes up to a minute while caches warm up.",
]
OBJECTIVES = [
    "Reduce service-desk tickets about {topic} by a fifth.",
    "Meet the regulatory deadline for {topic}.",
    "Close the findings of the last penetration test.",
    "Improve availability and response times of {app}.",
    "Give customers {topic} before the peak season.",
]
LESSONS = [
    "Smoke tests caught the configuration drift early; keep them in the runbook.",
    "The staging data was too small to show the slow query; refresh staging monthly.",
    "Canary bake time of 30 minutes was enough to see the error rate climb.",
    "Rollback rehearsal paid off: the real rollback took less than planned.",
    "Approvals came late because the CAB pack went out on Friday; send it by Wednesday.",
    "Feature flags let us ship dark and switch on during office hours.",
]
FEEDBACK = [
    "Customers noticed the faster pages; no complaints after the deployment.",
    "Service desk saw two calls about the new layout, both answered by the FAQ.",
    "Finance confirmed invoices reconcile again.",
    "Users liked the change; one asked for a keyboard shortcut.",
    "No user-visible effect, as intended.",
]
MORE_INFO_COMMENTS = [
    "Please attach the performance test results for the peak-load scenario.",
    "What is the customer impact if the rollback takes the full window?",
    "Which CIs need a restart? Please add them to the implementation plan.",
]
REJECT_COMMENTS = [
    "Overlaps the month-end close for finance; please move the window.",
    "Risk assessment understates the database migration; resubmit with a rehearsal.",
    "Too many changes bundled; split the infrastructure change out.",
]
WAVES = {
    "canary": [
        {
            "percent": 10,
            "bake_minutes": 30,
            "abort_criteria": "error rate above 2 % or p95 latency above 800 ms",
        },
        {
            "percent": 50,
            "bake_minutes": 30,
            "abort_criteria": "error rate above 2 % or p95 latency above 800 ms",
        },
        {"percent": 100, "bake_minutes": 0},
    ],
    "rolling": [
        {"batch": 2, "bake_minutes": 15, "abort_criteria": "a health check fails on any node"},
        {"batch": 2, "bake_minutes": 0, "abort_criteria": "a health check fails on any node"},
    ],
}
WAVE_LABELS = {
    "canary": ["wave 1 (10 %)", "wave 2 (50 %)", "wave 3 (100 %)"],
    "rolling": ["batch 1", "batch 2"],
}
ROLLBACK_PLANS = {
    "blue_green": "Switch the load balancer back to the blue environment running {prev}; keep green for "
    "analysis. Database changes are backward compatible.",
    "canary": "Stop the canary, route all traffic to {prev} and scale the canary pods to zero.",
    "rolling": "Redeploy {prev} from the artefact store node by node; restore configuration from Git tag v{prev}.",
    "big_bang": "Restore the pre-deployment database snapshot and redeploy {prev} (runbook section Rollback).",
    "feature_flag": "Switch off this release's feature flags in the flag service; {prev} code stays deployed.",
}
STRATEGY_WORDS = {
    "blue_green": "deploy to the green environment, switch traffic after smoke tests",
    "canary": "canary 10 % → 50 % → 100 % with 30-minute bake times",
    "rolling": "rolling update two nodes at a time",
    "big_bang": "stop, deploy, start in one step",
    "feature_flag": "deploy dark, switch the flags on after verification",
}


# --- small helpers -------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return (
        text.lower()
        .replace("ü", "u")
        .replace("ö", "o")
        .replace("ä", "a")
        .replace("é", "e")
        .replace(" ", ".")
    )


def _berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time in Berlin, as aware UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def _utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _workday_before(friday: dt.date, k: int) -> dt.date:
    """The k-th working day before ``friday`` (k = 0 is the Friday itself)."""
    return friday - dt.timedelta(days=7 * (k // 5) + k % 5)


def _phase_of(task_id: str) -> str:
    return TASK_PHASE[task_id]


def _black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    first_thursday = nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thursday + dt.timedelta(days=22)


def _overlaps(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> bool:
    return a0 < b1 and b0 < a1


def _allocate(n: int, weights: list[float]) -> list[int]:
    """Split n into len(weights) whole parts proportional to weights (largest remainder)."""
    total = sum(weights)
    raw = [n * w / total for w in weights]
    parts = [int(x) for x in raw]
    rest = n - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _stage_status(
    rule: str, percent: int | None, votes: list[tuple[str, dt.datetime | None]]
) -> str:
    """The stage's status from its votes (decision, decided_at), as the approvals service rules it."""
    n = len(votes)
    if n == 0:
        return "pending"
    approved = sum(1 for d, _ in votes if d == "approved")
    rejected = sum(1 for d, _ in votes if d == "rejected")
    if rule == "first_response":
        far = dt.datetime.max.replace(tzinfo=UTC)
        decided = sorted(
            ((at or far, i, d) for i, (d, at) in enumerate(votes) if d in ("approved", "rejected")),
        )
        if not decided:
            return "pending"
        return "approved" if decided[0][2] == "approved" else "rejected"
    needed = {
        "any": 1,
        "all": n,
        "majority": n // 2 + 1,
        "percent": max(1, -(-(percent or 100) * n // 100)),
    }[rule]
    if approved >= needed:
        return "approved"
    if n - rejected < needed:
        return "rejected"
    return "pending"
