-- 003: stories.  Near-duplicate LSH bands and story-clustering features,
-- so that finding a batch's copies and candidate stories is a join
-- (see stories/minhash.py, stories/features.py, warehouse/stories_store.py).

-- One row per article (new or updated): its story, MinHash and TF-IDF vectors.
CREATE TABLE story_members (
    article_id      VARCHAR PRIMARY KEY,
    story_id        VARCHAR NOT NULL,
    duplicate_of    VARCHAR,
    seen_at         TIMESTAMPTZ NOT NULL,    -- published_at, else fetched_at
    minhash         BLOB,                    -- 126 x uint32 little-endian; NULL when the text is too short
    word_keys       BIGINT[],                -- hashed features and their weights (top 80 / top 30)
    word_weights    FLOAT[],
    entity_keys     BIGINT[],
    entity_weights  FLOAT[]
);

-- LSH: 42 band keys per article with a signature (42 bands x 3 rows).
CREATE TABLE story_lsh (
    band_key    BIGINT NOT NULL,
    article_id  VARCHAR NOT NULL
);

-- Retrieval keys: each article's 30 heaviest features, with its story and time.
CREATE TABLE story_keys (
    key         BIGINT NOT NULL,
    story_id    VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL
);

-- Document frequency of each feature over story_members (for IDF).
CREATE TABLE story_term_df (
    key  BIGINT PRIMARY KEY,
    df   INTEGER NOT NULL
);

-- The stories view: same columns as 001, plus duplicate_count at the end.
-- The headline is the earliest *original* article's (a copy's edited
-- headline is not representative), falling back to the earliest article.
CREATE OR REPLACE VIEW stories AS
SELECT
    story_id,
    coalesce(arg_min(title, (coalesce(published_at, fetched_at), article_id)) FILTER (WHERE duplicate_of IS NULL),
             arg_min(title, (coalesce(published_at, fetched_at), article_id))) AS title,
    min(coalesce(published_at, fetched_at))  AS first_seen_at,
    max(coalesce(published_at, fetched_at))  AS last_seen_at,
    count(*)                                 AS article_count,
    count(DISTINCT source)                   AS source_count,
    list(DISTINCT source ORDER BY source)    AS sources,
    count(duplicate_of)                      AS duplicate_count
FROM articles
GROUP BY story_id;
