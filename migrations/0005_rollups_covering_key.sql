-- The rollups' primary key carries every aggregate column (INCLUDE), so a long series — a year of one
-- point variable is 8,760 hourly rows, written an hour at a time among every other point's and so one
-- heap page each — is read from a few contiguous index pages by an index-only scan.
CREATE UNIQUE INDEX measurement_rollups_key_covering ON measurement_rollups (resolution, point_id, variable, bucket)
  INCLUDE (n, sum, min, max, first_ts, first_value, last_ts, last_value);
ALTER TABLE measurement_rollups
  DROP CONSTRAINT measurement_rollups_pkey,
  ADD CONSTRAINT measurement_rollups_pkey PRIMARY KEY USING INDEX measurement_rollups_key_covering;
