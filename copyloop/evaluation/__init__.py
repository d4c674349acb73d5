"""Offline evaluation: configurations run over a brief set, per-brief metrics, bootstrap intervals, reports."""
