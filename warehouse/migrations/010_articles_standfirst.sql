-- 010: the standfirst (dek) of an article in a column of its own.
-- Publishers and benchmarks disagree on whether the line under the headline
-- is part of the body, so it is never in `text`; NULL where the page prints
-- none.  Concatenate it in front of `text` where you want it.
ALTER TABLE articles ADD COLUMN standfirst VARCHAR;

-- articles_with_topics selects a.*: rebind it to the new column list (as in 008)
CREATE OR REPLACE VIEW articles_with_topics AS
SELECT a.*,
       coalesce((SELECT list(t.topic ORDER BY t.score DESC, t.topic) FROM article_topics t
                 WHERE t.article_id = a.article_id), []) AS topics
FROM articles a;
