-- Corrections of stored readings, with their audit trail. The recorded reading (value_numeric,
-- raw_value) is never overwritten: a correction sets `corrected_value` or `is_invalid` beside it, and
-- every read uses the effective value
--   CASE WHEN is_invalid THEN NULL ELSE coalesce(corrected_value, value_numeric) END
-- so a read stays one index lookup. `measurement_corrections` is append-only: a correction is undone by
-- a `revert` correction naming it, never by an update or a delete.
CREATE TABLE measurement_corrections (
  id          bigserial PRIMARY KEY,
  point_id    bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  variable    text NOT NULL,
  -- Inclusive range of reading timestamps; one reading: ts_from = ts_to.
  ts_from     timestamptz NOT NULL,
  ts_to       timestamptz NOT NULL,
  action      text NOT NULL CHECK (action IN ('set_value', 'invalidate', 'revert')),
  value       double precision,
  reverts_id  bigint REFERENCES measurement_corrections(id),
  reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
  user_id     bigint REFERENCES users(id) ON DELETE SET NULL,
  -- Readings it changed, and a sample of their effective values before and after (at most 100 each).
  readings    integer NOT NULL,
  before      jsonb NOT NULL,
  after       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (ts_from <= ts_to),
  CHECK ((action = 'set_value') = (value IS NOT NULL)),
  CHECK ((action = 'revert') = (reverts_id IS NOT NULL))
);
CREATE INDEX measurement_corrections_point ON measurement_corrections (point_id, variable, ts_from);
CREATE INDEX measurement_corrections_created ON measurement_corrections (point_id, created_at);
-- A correction is reverted at most once.
CREATE UNIQUE INDEX measurement_corrections_one_revert ON measurement_corrections (reverts_id) WHERE reverts_id IS NOT NULL;

ALTER TABLE measurements ADD COLUMN corrected_value double precision;
ALTER TABLE measurements ADD COLUMN is_invalid boolean NOT NULL DEFAULT false;
