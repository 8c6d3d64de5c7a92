"""The GUID a task carries in exported MS Project files: the same for a task in every export,
so that the MSPDI exporter writes it and the schedule importer recognises it on the way back."""

from __future__ import annotations

import uuid

EXPORT_NAMESPACE = uuid.UUID("6f1c2f0e-8b7d-4e53-9a55-2b1f1d7c0e14")


def export_guid(task_id: int) -> str:
    return str(uuid.uuid5(EXPORT_NAMESPACE, f"task:{task_id}")).upper()
