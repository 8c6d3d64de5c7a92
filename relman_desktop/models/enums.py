"""The domain's enumerations, as the lower-case words of PRODUCT.md (plan-format.md spelling).

Each is a plain ``str`` enum so values compare equal to the words stored in the plan file and
written in plan JSON. The database checks them with CHECK constraints (see ``entities``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RELEASE_MANAGER = "release_manager"
    RELEASE_TEAM = "release_team"
    STAKEHOLDER = "stakeholder"
    CAB_MEMBER = "cab_member"
    APPROVER = "approver"
    CAB_CHAIR = "cab_chair"  # runs CAB meetings and records the board's decisions
    VIEWER = "viewer"  # reads and exports, changes nothing (team mode, issue 12)


class ReleaseType(StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    EMERGENCY = "emergency"
    STANDARD = "standard"


class Level(StrEnum):
    """Priority, risk and criticality share one scale."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class StrategyKind(StrEnum):
    BIG_BANG = "big_bang"
    BLUE_GREEN = "blue_green"
    CANARY = "canary"
    ROLLING = "rolling"
    FEATURE_FLAG = "feature_flag"


class DependencyKind(StrEnum):
    """Release A depends on B: B deploys first ("before"), or both deploy together."""

    BEFORE = "before"
    TOGETHER = "together"


class ChangeType(StrEnum):
    STANDARD = "standard"
    NORMAL = "normal"
    EMERGENCY = "emergency"


class ChangeCategory(StrEnum):
    FEATURE = "feature"
    FIX = "fix"
    SECURITY = "security"
    CONFIGURATION = "configuration"
    INFRASTRUCTURE = "infrastructure"
    DOCUMENTATION = "documentation"


class ChangeAudience(StrEnum):
    """Who reads about a change in the release notes: ``business`` changes appear in the
    business variant under their own title; ``technical`` ones only through their release note
    (no key, no engineering title) or not at all."""

    BUSINESS = "business"
    TECHNICAL = "technical"


class ChangeApproval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LinkKind(StrEnum):
    REQUEST = "request"
    PROBLEM = "problem"
    INCIDENT = "incident"
    KNOWLEDGE_ARTICLE = "knowledge_article"


class LinkRelation(StrEnum):
    INITIATED_BY = "initiated_by"
    FIXES = "fixes"
    CAUSED_BY = "caused_by"
    DOCUMENTS = "documents"


class CIClass(StrEnum):
    SERVICE = "service"
    APPLICATION = "application"
    SERVER = "server"
    DATABASE = "database"
    NETWORK = "network"
    STORAGE = "storage"
    MIDDLEWARE = "middleware"
    OTHER = "other"


class Phase(StrEnum):
    PLAN = "plan"
    BUILD = "build"
    TEST = "test"
    APPROVE = "approve"
    DEPLOY = "deploy"
    VERIFY = "verify"
    ROLLBACK = "rollback"
    REVIEW = "review"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class LinkType(StrEnum):
    """Task dependency types: finish-to-start, start-to-start, finish-to-finish, start-to-finish."""

    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


class TestKind(StrEnum):
    __test__ = False  # not a pytest class

    UNIT = "unit"
    INTEGRATION = "integration"
    PERFORMANCE = "performance"
    SECURITY = "security"
    UAT = "uat"
    REGRESSION = "regression"


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class StageRule(StrEnum):
    ANY = "any"
    ALL = "all"
    MAJORITY = "majority"
    PERCENT = "percent"
    FIRST_RESPONSE = "first_response"


class StageStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Decision(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    MORE_INFO = "more_info"


class WindowKind(StrEnum):
    MAINTENANCE = "maintenance"
    FREEZE = "freeze"
    BUSINESS_EVENT = "business_event"
    HOLIDAY = "holiday"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    PARTIAL = "partial"


class ReviewOutcome(StrEnum):
    SUCCESSFUL = "successful"
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class RuleEvent(StrEnum):
    ON_CREATE = "on_create"
    ON_STATUS_CHANGE = "on_status_change"
    ON_TESTS_RECORDED = "on_tests_recorded"
    ON_SCHEDULE_CHANGE = "on_schedule_change"


class StateCategory(StrEnum):
    """Open states can be held or cancelled; terminal states end a release; hold parks one."""

    OPEN = "open"
    HOLD = "hold"
    TERMINAL = "terminal"


class StateRole(StrEnum):
    """What a workflow state *means*, whatever it is called. Guards, impact, conflicts, the
    critical path, CAB eligibility and the calendar ask for roles, never for state names, so
    renaming "Deployed" to "Live" changes no behaviour. A state may have no role (None): a
    custom step no built-in rule needs to recognise."""

    PLANNING = "planning"
    BUILD = "build"
    TESTING = "testing"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    DEPLOYING = "deploying"
    DEPLOYED = "deployed"
    IN_REVIEW = "in_review"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    ROLLED_BACK = "rolled_back"


# A prerequisite counts as deployed in these roles (dependencies_met, impact, conflicts).
DEPLOYED_ROLES = frozenset({StateRole.DEPLOYED, StateRole.IN_REVIEW, StateRole.CLOSED})
# A "deploy together" partner must at least be approved for deployment.
READY_TO_DEPLOY_ROLES = frozenset({StateRole.APPROVED, StateRole.DEPLOYING}) | DEPLOYED_ROLES
# Releases in these roles are read-only in every service and view until a transition reopens them.
READ_ONLY_ROLES = frozenset({StateRole.CLOSED, StateRole.CANCELLED})
# No longer under way: the calendar draws no "ongoing" bar past today for these.
FINISHED_ROLES = frozenset({StateRole.CLOSED, StateRole.CANCELLED, StateRole.ROLLED_BACK})


def state_role(value: object) -> StateRole | None:
    """A stored role (enum, string or None) as a ``StateRole``; None for no role."""
    if value is None or value == "":
        return None
    return StateRole(str(value))
