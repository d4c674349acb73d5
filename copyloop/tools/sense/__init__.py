"""Sense checks: whether copy makes sense for its brief (see checks.py)."""
