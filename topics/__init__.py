"""Topic tagging with evidence, from the taxonomy in ``config/topics.toml``.
No HTTP, no Prefect."""
