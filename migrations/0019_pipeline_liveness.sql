-- Each DGA reporter stamps its row at every loop, so /health can tell a stopped reporter from an idle one.
CREATE TABLE reporter_heartbeats (
  owner    text PRIMARY KEY,
  beat_at  timestamptz NOT NULL
);

-- Catch-up (collecting points more than a period behind, at start or after a pause) is claimed per frequency and
-- tick like the ticks themselves, so collectors starting together do not both catch up the same points.
CREATE TABLE collection_catchups (
  frequency   smallint NOT NULL,
  tick_at     timestamptz NOT NULL,
  claimed_by  text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (frequency, tick_at)
);

-- Each collector stamps its row at every pass of its loop: catch-up leaves a tick alone while the collector holding
-- it is alive, and takes over the points of a tick whose collector died mid-collection.
CREATE TABLE collector_heartbeats (
  owner    text PRIMARY KEY,
  beat_at  timestamptz NOT NULL
);
