-- 015: several writers on one warehouse (a DuckLake on PostgreSQL, see
-- warehouse/lake.py and README, "Scale-out path").
--
-- load_fence: one row, moved from n to n + 1 by every load on a lake.  A
-- load whose lookup saw another n, or that commits beside another load,
-- fails and is redone on a fresh snapshot.  A DuckDB file has one writer
-- and leaves it alone.
CREATE TABLE load_fence (n BIGINT NOT NULL);
INSERT INTO load_fence VALUES (0);

-- runs: the Prefect worker (or host) that ran it, and the commit conflicts
-- it met with the retries they cost.
ALTER TABLE runs ADD COLUMN worker VARCHAR;
ALTER TABLE runs ADD COLUMN commit_conflicts INTEGER DEFAULT 0;
ALTER TABLE runs ADD COLUMN commit_retries INTEGER DEFAULT 0;

-- latest_run selects r.*: rebind it to the new column list (as in 008)
CREATE OR REPLACE VIEW latest_run AS
SELECT r.*,
       (SELECT list({'stage': d.stage, 'reason': d.reason, 'count': d.n} ORDER BY d.n DESC, d.stage, d.reason)
        FROM (SELECT stage, reason, count(*) AS n FROM drops WHERE run_id = r.run_id GROUP BY ALL) d) AS dropped
FROM runs r
WHERE r.run_id = (SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1);
