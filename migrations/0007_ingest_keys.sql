-- Ingest keys: API keys that may only push readings, and only to the points they name.
ALTER TABLE api_keys
  ADD COLUMN scope text NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'ingest')),
  ADD COLUMN point_ids bigint[],
  ADD CONSTRAINT api_keys_ingest_points CHECK ((scope = 'ingest') = (point_ids IS NOT NULL AND cardinality(point_ids) > 0));
