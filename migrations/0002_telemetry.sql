-- Telemetry pipeline: provider accounts, collection cursors and ticks, the unified measurement table
-- (monthly range partitions), rollups maintained by the processor, latest values, totalizer state.

CREATE TABLE provider_accounts (
  id            bigserial PRIMARY KEY,
  provider      text NOT NULL CHECK (provider IN ('twin', 'nettra', 'novus')),
  name          text NOT NULL,
  base_url      text NOT NULL,
  username      text,
  password_enc  text,
  is_default    boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, name)
);
CREATE UNIQUE INDEX provider_accounts_one_default ON provider_accounts (provider) WHERE is_default;

ALTER TABLE catchment_points
  ADD COLUMN provider_account_id bigint REFERENCES provider_accounts(id) ON DELETE SET NULL;

-- Last reading timestamp collected per point variable; moves only after the bus acknowledged.
CREATE TABLE collection_cursors (
  point_id    bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  variable    text NOT NULL,
  cursor_ts   timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (point_id, variable)
);

-- One row per (frequency, tick): the collector that inserts it collects the tick; others skip it.
CREATE TABLE collection_ticks (
  frequency    smallint NOT NULL,
  tick_at      timestamptz NOT NULL,
  claimed_by   text NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  points       integer,
  readings     integer,
  ok           integer,
  no_data      integer,
  failed       integer,
  PRIMARY KEY (frequency, tick_at)
);

CREATE TABLE measurements (
  point_id           bigint NOT NULL,
  variable           text NOT NULL,
  ts                 timestamptz NOT NULL,
  value_numeric      double precision,
  value_text         text,
  value_boolean      boolean,
  raw_value          jsonb,
  quality_score      real NOT NULL DEFAULT 1,
  quality_flags      text[] NOT NULL DEFAULT '{}',
  provider           text,
  processing_config  jsonb,
  received_at        timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX measurements_point_variable_ts ON measurements (point_id, variable, ts DESC);
CREATE INDEX measurements_ts_provider ON measurements (ts, provider);
CREATE INDEX measurements_variable_ts ON measurements (variable, ts DESC);

-- Creates the monthly partition holding `month` (any instant in it) if it does not exist yet.
CREATE FUNCTION sh_ensure_measurement_partition(month timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  start_ts timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  end_ts   timestamptz := (date_trunc('month', month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  name     text := 'measurements_' || to_char(start_ts AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NULL THEN
    PERFORM pg_advisory_xact_lock(7244502);
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF measurements FOR VALUES FROM (%L) TO (%L)', name, start_ts, end_ts);
    END IF;
  END IF;
  RETURN name;
END $$;

-- Aggregates the processor keeps up to date as rows are inserted (late and re-delivered rows included:
-- only rows actually inserted are added).
CREATE TABLE measurement_rollups (
  resolution   text NOT NULL CHECK (resolution IN ('1h', '1d')),
  point_id     bigint NOT NULL,
  variable     text NOT NULL,
  bucket       timestamptz NOT NULL,
  n            integer NOT NULL,
  sum          double precision NOT NULL,
  min          double precision NOT NULL,
  max          double precision NOT NULL,
  first_ts     timestamptz NOT NULL,
  first_value  double precision NOT NULL,
  last_ts      timestamptz NOT NULL,
  last_value   double precision NOT NULL,
  PRIMARY KEY (resolution, point_id, variable, bucket)
);

CREATE TABLE latest_values (
  point_id       bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  variable       text NOT NULL,
  ts             timestamptz NOT NULL,
  value_numeric  double precision,
  value_text     text,
  value_boolean  boolean,
  quality_score  real NOT NULL,
  quality_flags  text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (point_id, variable)
);

CREATE TABLE totalizer_state (
  point_id    bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  variable    text NOT NULL,
  state       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (point_id, variable)
);

CREATE TABLE totalizer_resets (
  id             bigserial PRIMARY KEY,
  point_id       bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  variable       text NOT NULL,
  ts             timestamptz NOT NULL,
  previous_raw   double precision NOT NULL,
  new_raw        double precision NOT NULL,
  lost_volume    double precision NOT NULL,
  offset_before  double precision NOT NULL,
  offset_after   double precision NOT NULL,
  logged_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (point_id, variable, ts)
);

-- Every reading the processor could not use, with the reason (also published to telemetry.dlq.v1).
CREATE TABLE dead_letters (
  id           bigserial PRIMARY KEY,
  -- topic/partition/offset/index of the reading: a re-delivered batch does not count twice.
  fingerprint  text NOT NULL UNIQUE,
  received_at  timestamptz NOT NULL DEFAULT now(),
  point_id     bigint,
  variable     text,
  ts           timestamptz,
  code         text NOT NULL,
  reason       text NOT NULL,
  payload      jsonb NOT NULL
);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at);
