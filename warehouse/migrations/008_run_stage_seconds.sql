-- 008: how long each stage of a run took, in seconds: discover, fetch,
-- extract, dedupe, tag, load, search and total (up to writing this row; the
-- read copy is published after it).  Stages are busy
-- times summed over the run's windows; fetching the next window overlaps
-- the other stages, so they add up to more than total.
ALTER TABLE runs ADD COLUMN stage_seconds MAP(VARCHAR, DOUBLE);

-- latest_run selects r.*: rebind it to the new column list (as in 005)
CREATE OR REPLACE VIEW latest_run AS
SELECT r.*,
       (SELECT list({'stage': d.stage, 'reason': d.reason, 'count': d.n} ORDER BY d.n DESC, d.stage, d.reason)
        FROM (SELECT stage, reason, count(*) AS n FROM drops WHERE run_id = r.run_id GROUP BY ALL) d) AS dropped
FROM runs r
WHERE r.run_id = (SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1);
