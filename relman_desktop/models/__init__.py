"""Entities and the plan file. No Qt here, and nothing SQLite-specific outside ``planfile``."""
