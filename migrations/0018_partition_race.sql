-- Two sessions creating the same new month no longer fail. The advisory lock alone did not order them: the
-- second session's look at the catalog after taking the lock could still miss the table the first had just
-- committed, and its CREATE then failed with "relation … already exists". The CREATE now tolerates the table
-- being there (IF NOT EXISTS, and an exception handler for the window where both insert the catalog rows).
CREATE OR REPLACE FUNCTION sh_ensure_measurement_partition(month timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  start_ts timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  end_ts   timestamptz := (date_trunc('month', month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  name     text := 'measurements_' || to_char(start_ts AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NULL THEN
    PERFORM pg_advisory_xact_lock(7244502);
    BEGIN
      EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF measurements FOR VALUES FROM (%L) TO (%L)', name, start_ts, end_ts);
    EXCEPTION WHEN duplicate_table OR unique_violation THEN
      NULL; -- another session created it first
    END;
  END IF;
  RETURN name;
END $$;
