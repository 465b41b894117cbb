-- 009: raw HTML moves out of the warehouse file into append-only pack files
-- beside it (warehouse/pages.py).  raw_pages keeps each page's metadata and
-- where its compressed HTML lies: (pack, pack_offset, pack_length).  Rows
-- written before this migration keep their HTML inline in html_zlib, and
-- readers accept both.
--
-- Why: DuckDB's checkpoint high-water mark grows with the size of the BLOB
-- table in the file; with the HTML inside, a run's peak memory grew with the
-- warehouse (README, Performance).
ALTER TABLE raw_pages ALTER COLUMN html_zlib DROP NOT NULL;
ALTER TABLE raw_pages ADD COLUMN pack VARCHAR;
ALTER TABLE raw_pages ADD COLUMN pack_offset BIGINT;
ALTER TABLE raw_pages ADD COLUMN pack_length INTEGER;
