-- 016: the day the page prints for its publication, as a DATE.
-- `published_at` is an instant (TIMESTAMPTZ): DuckDB keeps no offset and
-- shows it in the session's TimeZone, so a story published on the 12th at
-- 18:00 in California reads as the 13th in UTC.  `published_date` is the
-- calendar day in the page's own offset (the feed's for a date taken from
-- the feed), the one a reader of the page sees.  Rows loaded before this
-- migration take the day of `published_at` in UTC (their offset is gone).
ALTER TABLE articles ADD COLUMN published_date DATE;
UPDATE articles SET published_date = CAST(timezone('UTC', published_at) AS DATE) WHERE published_at IS NOT NULL;

-- articles_with_topics selects a.*: rebind it to the new column list (as in 010)
CREATE OR REPLACE VIEW articles_with_topics AS
SELECT a.*,
       coalesce((SELECT list(t.topic ORDER BY t.score DESC, t.topic) FROM article_topics t
                 WHERE t.article_id = a.article_id), []) AS topics
FROM articles a;

-- the daily counts by the day the page prints (fetch day, UTC, where there is none)
CREATE OR REPLACE VIEW daily_topic_counts AS
SELECT coalesce(a.published_date, CAST(timezone('UTC', a.fetched_at) AS DATE)) AS day, t.topic, count(*) AS articles
FROM articles a JOIN article_topics t USING (article_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW daily_source_counts AS
SELECT coalesce(published_date, CAST(timezone('UTC', fetched_at) AS DATE)) AS day, source,
       count(*) AS articles, count(duplicate_of) AS copies
FROM articles
GROUP BY ALL;
