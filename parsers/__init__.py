"""Pure functions from bytes to data: feeds to entries, HTML to articles,
boilerplate removal, URL canonicalisation, language and dates.  No I/O."""
