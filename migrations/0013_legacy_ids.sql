-- Where each row of the legacy Django system went: (model, legacy pk) → the new row's id. Re-runs and
-- files imported later resolve their references through it; a legacy client whose RUT was already
-- imported maps onto the existing client. `telemetry_blocked`: the point's legacy provider flags or
-- frecuency ruled out collection, so its profile's is_telemetry cannot switch telemetry on.
CREATE TABLE legacy_ids (
  model              text NOT NULL,
  legacy_pk          text NOT NULL,
  new_id             bigint NOT NULL,
  telemetry_blocked  boolean NOT NULL DEFAULT false,
  imported_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, legacy_pk)
);

-- A legacy scheme (a set of variables) may serve several points: its variables are configured on each,
-- and its time series cannot tell which point a reading belongs to (the import rejects them as ambiguous).
CREATE TABLE legacy_scheme_points (
  scheme_pk  text NOT NULL,
  point_id   bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  PRIMARY KEY (scheme_pk, point_id)
);
