-- 007: no primary-key index on the large tables left: articles, raw_pages,
-- story_members and story_term_df (006 did article_urls and article_topics).
-- DuckDB rewrites every ART index at each checkpoint, and the writer
-- checkpoints after each load, so a load's cost grew with the warehouse: at
-- 1,000,000 stored articles the articles key alone cost about 0.2 s of a
-- 0.46 s load of 1,000.  There is one writer, and every load inserts with an
-- anti-join (warehouse/store.py, warehouse/pages.py,
-- warehouse/stories_store.py), so the keys stay unique without the index.
-- Columns, their order and NOT NULLs are unchanged.

CREATE TABLE articles_v7 (
    article_id    VARCHAR NOT NULL,          -- sha1(canonical_url)[:16]; unique (see above)
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    site          VARCHAR NOT NULL,
    title         VARCHAR,
    authors       VARCHAR[],
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    language      VARCHAR,
    text          VARCHAR NOT NULL,
    word_count    INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    story_id      VARCHAR NOT NULL,
    duplicate_of  VARCHAR,
    http_status   INTEGER,
    extractor     VARCHAR,
    run_id        VARCHAR,
    removed       STRUCT(rule VARCHAR, text VARCHAR)[]
);
INSERT INTO articles_v7 SELECT * FROM articles;
DROP TABLE articles;
ALTER TABLE articles_v7 RENAME TO articles;

CREATE TABLE raw_pages_v7 (
    article_id      VARCHAR NOT NULL,
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
INSERT INTO raw_pages_v7 SELECT * FROM raw_pages;
DROP TABLE raw_pages;
ALTER TABLE raw_pages_v7 RENAME TO raw_pages;

CREATE TABLE story_members_v7 (
    article_id      VARCHAR NOT NULL,
    story_id        VARCHAR NOT NULL,
    duplicate_of    VARCHAR,
    seen_at         TIMESTAMPTZ NOT NULL,
    minhash         BLOB,
    word_keys       BIGINT[],
    word_weights    FLOAT[],
    entity_keys     BIGINT[],
    entity_weights  FLOAT[]
);
INSERT INTO story_members_v7 SELECT * FROM story_members;
DROP TABLE story_members;
ALTER TABLE story_members_v7 RENAME TO story_members;

CREATE TABLE story_term_df_v7 (
    key  BIGINT NOT NULL,
    df   INTEGER NOT NULL
);
INSERT INTO story_term_df_v7 SELECT * FROM story_term_df;
DROP TABLE story_term_df;
ALTER TABLE story_term_df_v7 RENAME TO story_term_df;
