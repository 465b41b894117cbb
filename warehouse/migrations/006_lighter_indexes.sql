-- 006: no primary-key index on article_urls and article_topics.
-- DuckDB rewrites a table's ART index at every checkpoint, and the writer
-- checkpoints when its connection closes after each load; on these two large
-- tables (about two rows per article each) that cost grew with the warehouse.
-- There is one writer, and loads de-duplicate with anti-joins instead
-- (warehouse/store.py), so the constraint bought nothing.

CREATE TABLE article_urls_v6 (
    url           VARCHAR NOT NULL,
    article_id    VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL
);
INSERT INTO article_urls_v6 SELECT url, article_id, first_seen_at FROM article_urls;
DROP TABLE article_urls;
ALTER TABLE article_urls_v6 RENAME TO article_urls;

CREATE TABLE article_topics_v6 (
    article_id       VARCHAR NOT NULL,
    topic            VARCHAR NOT NULL,
    score            DOUBLE NOT NULL,
    evidence         STRUCT(phrase VARCHAR, field VARCHAR, "start" INTEGER, "end" INTEGER)[],
    taxonomy_version VARCHAR,
    tagged_at        TIMESTAMPTZ
);
INSERT INTO article_topics_v6 SELECT article_id, topic, score, evidence, taxonomy_version, tagged_at FROM article_topics;
DROP TABLE article_topics;
ALTER TABLE article_topics_v6 RENAME TO article_topics;
