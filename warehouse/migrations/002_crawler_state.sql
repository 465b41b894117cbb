-- 002: crawler state and article versions.

-- Validators for conditional GET of feeds and sitemaps.
CREATE TABLE feed_state (
    url            VARCHAR PRIMARY KEY,
    source         VARCHAR,
    etag           VARCHAR,
    last_modified  VARCHAR,
    last_status    INTEGER,
    checked_at     TIMESTAMPTZ
);

-- Earlier texts of articles whose page changed (an updated story).  The
-- current text stays in articles; each replaced one is kept here.
CREATE TABLE article_versions (
    article_id    VARCHAR NOT NULL,
    version       INTEGER NOT NULL,          -- 1 = the first text stored
    title         VARCHAR,
    text          VARCHAR,
    content_hash  VARCHAR,
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ,
    replaced_at   TIMESTAMPTZ,
    PRIMARY KEY (article_id, version)
);

-- Per-source health over the last 10 runs that included the source.
CREATE VIEW source_health AS
WITH recent_runs AS (
    SELECT r.run_id, r.started_at, s.source,
           row_number() OVER (PARTITION BY s.source ORDER BY r.started_at DESC) AS n
    FROM runs r, unnest(r.sources) AS s(source)
),
fetches AS (
    SELECT f.* FROM fetch_log f JOIN recent_runs rr ON f.run_id = rr.run_id AND f.source = rr.source AND rr.n <= 10
),
new_items AS (
    SELECT a.source, a.run_id, count(*) AS n
    FROM articles a JOIN recent_runs rr ON a.run_id = rr.run_id AND a.source = rr.source AND rr.n <= 10
    GROUP BY ALL
)
SELECT
    rr.source,
    count(DISTINCT rr.run_id)                                               AS runs,
    (SELECT max(fetched_at) FROM fetch_log f2
      WHERE f2.source = rr.source AND f2.error IS NULL AND f2.status BETWEEN 200 AND 399) AS last_success,
    (SELECT count(*) FILTER (WHERE error IS NOT NULL) / greatest(count(*), 1)
       FROM fetches f WHERE f.source = rr.source)                           AS error_rate,
    (SELECT median(elapsed_ms) FILTER (WHERE error IS NULL AND kind <> 'robots')
       FROM fetches f WHERE f.source = rr.source)                           AS median_latency_ms,
    (SELECT coalesce(sum(n), 0) FROM new_items ni WHERE ni.source = rr.source)
        / count(DISTINCT rr.run_id)                                         AS new_per_run,
    (SELECT list(DISTINCT error) FILTER (WHERE error IS NOT NULL)
       FROM fetches f WHERE f.source = rr.source)                           AS recent_errors
FROM recent_runs rr
WHERE rr.n <= 10
GROUP BY rr.source;
