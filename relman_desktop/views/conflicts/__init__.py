"""The Conflicts page: every conflict of the plan, filtered, with the way to its fix."""
