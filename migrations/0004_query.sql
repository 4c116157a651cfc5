-- Query side and operations.

-- "Measurements stored today" (GET /stats) sums hourly rollups by bucket across all points.
CREATE INDEX measurement_rollups_resolution_bucket ON measurement_rollups (resolution, bucket) INCLUDE (n);

-- Per-provider outcome of a tick, {"twin": {"points": 3, "ok": 2, "no_data": 1, "failed": 0, "readings": 9}, …},
-- written by the collector when it finishes a tick; GET /stats shows it per provider and frequency.
ALTER TABLE collection_ticks ADD COLUMN by_provider jsonb;
