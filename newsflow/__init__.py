"""newsflow: a scheduled news-ingestion pipeline.

The stages live in sibling packages (``crawler``, ``parsers``, ``stories``,
``topics``, ``warehouse``) and are wired together by ``flows``.  This package
holds what they share: configuration, the error tree and the demo site.
"""

__version__ = "0.1.0"
USER_AGENT = f"newsflow/{__version__} (+https://github.com/newsflow/newsflow; news ingestion bot)"
