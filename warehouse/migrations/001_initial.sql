-- 001: the initial warehouse.  Public contract: articles, article_topics,
-- stories, fetch_log, runs (see README, "The SQL contract").

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    flow_run_id   VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- running | completed | partial | failed | crashed
    discovered    INTEGER DEFAULT 0,         -- feed items seen
    fetched       INTEGER DEFAULT 0,         -- article pages fetched
    failed        INTEGER DEFAULT 0,         -- feeds + pages that failed to fetch
    extracted     INTEGER DEFAULT 0,         -- pages that became articles
    duplicates    INTEGER DEFAULT 0,         -- known canonical URLs + content copies
    loaded        INTEGER DEFAULT 0,         -- new rows in articles
    message       VARCHAR,
    sources       VARCHAR[],
    host          VARCHAR,
    pid           INTEGER
);

CREATE TABLE articles (
    article_id    VARCHAR PRIMARY KEY,       -- sha1(canonical_url)[:16]
    url           VARCHAR NOT NULL,          -- the URL fetched (after redirects)
    canonical_url VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,          -- source id from sources.toml
    site          VARCHAR NOT NULL,          -- host of the canonical URL, without www.
    title         VARCHAR,
    authors       VARCHAR[],
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    language      VARCHAR,
    text          VARCHAR NOT NULL,
    word_count    INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    story_id      VARCHAR NOT NULL,
    duplicate_of  VARCHAR,                   -- article_id of the earliest copy, if this is a copy
    http_status   INTEGER,
    extractor     VARCHAR,
    run_id        VARCHAR,
    removed       STRUCT(rule VARCHAR, text VARCHAR)[]   -- what the cleaner cut, and why
);

-- Every URL that led to a stored article (feed links, redirects, aliases).
CREATE TABLE article_urls (
    url           VARCHAR PRIMARY KEY,
    article_id    VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE article_topics (
    article_id       VARCHAR NOT NULL,
    topic            VARCHAR NOT NULL,
    score            DOUBLE NOT NULL,
    evidence         STRUCT(phrase VARCHAR, field VARCHAR, "start" INTEGER, "end" INTEGER)[],
    taxonomy_version VARCHAR,
    tagged_at        TIMESTAMPTZ,
    PRIMARY KEY (article_id, topic)
);

CREATE TABLE fetch_log (
    run_id      VARCHAR,
    source      VARCHAR,
    url         VARCHAR,
    kind        VARCHAR,                     -- feed | article | robots
    fetched_at  TIMESTAMPTZ,
    status      INTEGER,                     -- HTTP status; NULL when no response
    error       VARCHAR,                     -- reason class; NULL on success
    bytes       BIGINT,
    elapsed_ms  DOUBLE,
    final_url   VARCHAR,
    detail      VARCHAR
);

-- Everything a stage did not pass on, with its reason.
CREATE TABLE drops (
    run_id      VARCHAR,
    stage       VARCHAR,
    source      VARCHAR,
    url         VARCHAR,
    reason      VARCHAR,
    detail      VARCHAR,
    dropped_at  TIMESTAMPTZ
);

CREATE VIEW stories AS
SELECT
    story_id,
    arg_min(title, (coalesce(published_at, fetched_at), article_id)) AS title,
    min(coalesce(published_at, fetched_at))  AS first_seen_at,
    max(coalesce(published_at, fetched_at))  AS last_seen_at,
    count(*)                                 AS article_count,
    count(DISTINCT source)                   AS source_count,
    list(DISTINCT source ORDER BY source)    AS sources
FROM articles
GROUP BY story_id;
