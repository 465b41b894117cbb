-- 005: views people want for ad-hoc SQL (documented in the README).

-- Articles with their topics as a list, best score first.
CREATE VIEW articles_with_topics AS
SELECT a.*,
       coalesce((SELECT list(t.topic ORDER BY t.score DESC, t.topic) FROM article_topics t
                 WHERE t.article_id = a.article_id), []) AS topics
FROM articles a;

-- Articles per day and topic, and per day and source (by publication day, UTC).
CREATE VIEW daily_topic_counts AS
SELECT CAST(timezone('UTC', coalesce(a.published_at, a.fetched_at)) AS DATE) AS day, t.topic, count(*) AS articles
FROM articles a JOIN article_topics t USING (article_id)
GROUP BY ALL;

CREATE VIEW daily_source_counts AS
SELECT CAST(timezone('UTC', coalesce(published_at, fetched_at)) AS DATE) AS day, source,
       count(*) AS articles, count(duplicate_of) AS copies
FROM articles
GROUP BY ALL;

-- Stories carried by more than one outlet, with each outlet's headline and link.
CREATE VIEW stories_across_outlets AS
SELECT s.story_id, s.title, s.first_seen_at, s.last_seen_at, s.article_count, s.source_count, s.sources,
       (SELECT list({'source': a.source, 'title': a.title, 'url': a.canonical_url,
                     'published_at': a.published_at} ORDER BY coalesce(a.published_at, a.fetched_at), a.article_id)
        FROM articles a WHERE a.story_id = s.story_id) AS coverage
FROM stories s
WHERE s.source_count > 1;

-- The latest run and what it dropped, by stage and reason.
CREATE VIEW latest_run AS
SELECT r.*,
       (SELECT list({'stage': d.stage, 'reason': d.reason, 'count': d.n} ORDER BY d.n DESC, d.stage, d.reason)
        FROM (SELECT stage, reason, count(*) AS n FROM drops WHERE run_id = r.run_id GROUP BY ALL) d) AS dropped
FROM runs r
WHERE r.run_id = (SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1);
