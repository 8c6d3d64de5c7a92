"""The root of every refusal a service gives: a module of its own, so that modules ``base``
itself consults (``permissions``) can raise one without importing ``base``."""

from __future__ import annotations


class ServiceError(Exception):
    """A user's mistake or a refused action, with a one-line message ready to show."""
