"""Fingerprints, duplicate detection and story assignment.  No HTTP, no Prefect."""
