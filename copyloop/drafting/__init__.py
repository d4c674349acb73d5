"""Drafting as plain functions: the prompts, one batched model pass, cleaning and choosing drafts.

The drafting node (`agents/drafter.py`) calls these with its runtime context; fine-tuning samples with the same
prompts and cleaning, and evaluation measures the node's first pass by calling `draft_pass` itself — so none of
them depends on the others, or on a node run with a stand-in runtime.
"""
