"""Prefect flows, tasks and the ``newsflow`` CLI.  Thin: each task body is
one call into a stage; the numbers come from the stages."""
