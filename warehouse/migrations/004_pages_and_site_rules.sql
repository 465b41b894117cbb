-- 004: raw pages for re-extraction, and boilerplate learned per source.

-- The HTML each stored article was extracted from, zlib-compressed, with the
-- feed item's metadata (the extraction fallbacks), so `newsflow reprocess`
-- can re-extract with a newer extractor without fetching again.
CREATE TABLE raw_pages (
    article_id      VARCHAR PRIMARY KEY,
    url             VARCHAR NOT NULL,
    fetched_at      TIMESTAMPTZ NOT NULL,
    http_status     INTEGER,
    content_type    VARCHAR,
    charset         VARCHAR,
    html_zlib       BLOB NOT NULL,
    feed_url        VARCHAR,
    feed_title      VARCHAR,
    feed_published  TIMESTAMPTZ,
    feed_summary    VARCHAR
);

-- Paragraphs that repeat across many articles of one source (see
-- parsers/site_boilerplate.py for the thresholds), relearned every run.
CREATE TABLE site_rules (
    source      VARCHAR PRIMARY KEY,
    site        VARCHAR NOT NULL,
    rules_json  VARCHAR NOT NULL,
    rule_count  INTEGER NOT NULL,
    articles    INTEGER NOT NULL,
    learned_at  TIMESTAMPTZ NOT NULL,
    run_id      VARCHAR
);
