-- Each DGA reporter stamps its row at every loop, so /health can tell a stopped reporter from an idle one.
CREATE TABLE reporter_heartbeats (
  owner    text PRIMARY KEY,
  beat_at  timestamptz NOT NULL
);
