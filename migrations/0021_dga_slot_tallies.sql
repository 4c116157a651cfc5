-- DGA compliance tallies: per report time zone, point, standard and local month, the submission rows
-- that lie on that standard's slot calendar, by outcome. A year of compliance for thousands of points
-- then reads one row per point and month instead of every submission row; the report still counts
-- the months its period only partly covers (and any month it cannot trust the tally for) row by row.
--
-- A row's outcome for standard S: sent within S's on-time grace (MAYOR 1 h, MEDIO 24 h, MENOR and
-- CAUDALES_MUY_PEQUENOS 7 days: ON_TIME_GRACE_MS in src/dga/compliance.ts), sent later (or without a
-- send time), pending or sending, failed, needs attention. A row counts for S when its slot is the
-- start of S's period containing it in the zone (HH:00, 00:00, day 1, 1 January / 1 July) and lies
-- on a 15-minute UTC grid (every offset of a real zone is a multiple of 15 minutes today; the report
-- checks this calendar against its own for the period and falls back to rows where they differ).
--
-- The zones kept are those of dga_tally_zones: a zone is added (and its tallies back-filled from the
-- rows) by the first report in it, under a lock that holds writers back meanwhile. From then on the
-- statement triggers below keep every zone's tallies exact: one upsert per (zone, point, standard,
-- month) a statement touched, adding the statement's net change (n = n + delta: two reporters
-- updating slots of one point-month never lose a count).

CREATE TABLE dga_tally_zones (
  zone        text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dga_slot_tallies (
  zone             text NOT NULL,
  point_id         bigint NOT NULL,
  standard         text NOT NULL,
  -- Local wall-clock start of the month in `zone`.
  month            timestamp NOT NULL,
  sent_on_time     integer NOT NULL DEFAULT 0,
  sent_late        integer NOT NULL DEFAULT 0,
  pending          integer NOT NULL DEFAULT 0,
  failed           integer NOT NULL DEFAULT 0,
  needs_attention  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (zone, point_id, standard, month)
);

-- Whether `slot` is one of `standard`'s slots in `zone`: the local start of the standard's period
-- containing it (HH:00, 00:00, day 1, 1 January or 1 July) on the 15-minute grid.
CREATE FUNCTION sh_dga_is_slot(zone text, standard text, slot timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT extract(epoch FROM slot) % 900 = 0 AND (CASE standard
    WHEN 'MAYOR' THEN date_trunc('hour', slot AT TIME ZONE zone)
    WHEN 'MEDIO' THEN date_trunc('day', slot AT TIME ZONE zone)
    WHEN 'MENOR' THEN date_trunc('month', slot AT TIME ZONE zone)
    ELSE make_timestamp(extract(year FROM slot AT TIME ZONE zone)::int,
                        CASE WHEN extract(month FROM slot AT TIME ZONE zone) >= 7 THEN 7 ELSE 1 END, 1, 0, 0, 0)
  END AT TIME ZONE zone) = slot
$$;

-- Whether a row sent at `sent` was sent within `standard`'s on-time grace of its slot (to the millisecond).
CREATE FUNCTION sh_dga_on_time(standard text, slot timestamptz, sent timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(floor(extract(epoch FROM sent) * 1000) - floor(extract(epoch FROM slot) * 1000)
                  <= CASE standard WHEN 'MAYOR' THEN 3600000 WHEN 'MEDIO' THEN 86400000 ELSE 604800000 END, false)
$$;

-- The standards on whose calendar in `zone` a slot lies, with the slot's local month and its outcome
-- for each (1 in exactly one outcome column).
CREATE FUNCTION sh_dga_slot_outcomes(zone text, slot timestamptz, status text, sent timestamptz)
RETURNS TABLE (standard text, month timestamp, sent_on_time integer, sent_late integer, pending integer,
               failed integer, needs_attention integer)
LANGUAGE sql STABLE AS $$
  SELECT st.standard, date_trunc('month', slot AT TIME ZONE zone),
         (status = 'sent' AND sh_dga_on_time(st.standard, slot, sent))::int,
         (status = 'sent' AND NOT sh_dga_on_time(st.standard, slot, sent))::int,
         (status IN ('pending', 'sending'))::int,
         (status = 'failed')::int,
         (status = 'needs_attention')::int
  FROM unnest(ARRAY['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS']) AS st(standard)
  WHERE sh_dga_is_slot(zone, st.standard, slot)
$$;

-- The statement that adds the outcomes of `source` (a query of point_id, slot_at, status, sent_at and
-- sign: +1 for a row that appeared, -1 for one that went) to every kept zone's tallies. Run by the
-- trigger functions themselves (EXECUTE): only they see the statement's transition tables. Keys in a
-- fixed order, so two statements upserting the same tallies wait for each other, never deadlock.
CREATE FUNCTION sh_dga_tally_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    INSERT INTO dga_slot_tallies AS t (zone, point_id, standard, month, sent_on_time, sent_late, pending, failed, needs_attention)
    SELECT z.zone, r.point_id, o.standard, o.month, sum(r.sign * o.sent_on_time), sum(r.sign * o.sent_late),
           sum(r.sign * o.pending), sum(r.sign * o.failed), sum(r.sign * o.needs_attention)
    FROM (%s) r
    CROSS JOIN dga_tally_zones z
    CROSS JOIN LATERAL sh_dga_slot_outcomes(z.zone, r.slot_at, r.status, r.sent_at) o
    GROUP BY 1, 2, 3, 4
    HAVING sum(r.sign * o.sent_on_time) <> 0 OR sum(r.sign * o.sent_late) <> 0 OR sum(r.sign * o.pending) <> 0
        OR sum(r.sign * o.failed) <> 0 OR sum(r.sign * o.needs_attention) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (zone, point_id, standard, month) DO UPDATE SET
      sent_on_time = t.sent_on_time + excluded.sent_on_time, sent_late = t.sent_late + excluded.sent_late,
      pending = t.pending + excluded.pending, failed = t.failed + excluded.failed,
      needs_attention = t.needs_attention + excluded.needs_attention$q$, source)
$$;

CREATE FUNCTION sh_dga_tally_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dga_tally_zones) THEN
    EXECUTE sh_dga_tally_sql('SELECT point_id, slot_at, status, sent_at, 1 AS sign FROM sh_new_rows');
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION sh_dga_tally_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dga_tally_zones) THEN
    EXECUTE sh_dga_tally_sql('SELECT point_id, slot_at, status, sent_at, -1 AS sign FROM sh_old_rows');
  END IF;
  RETURN NULL;
END $$;

-- Only rows whose counted fields changed: a lease renewed or an attempt recorded changes no tally.
CREATE FUNCTION sh_dga_tally_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dga_tally_zones) THEN
    EXECUTE sh_dga_tally_sql(
      'SELECT o.point_id, o.slot_at, o.status, o.sent_at, -1 AS sign
       FROM sh_old_rows o JOIN sh_new_rows n ON n.id = o.id
       WHERE (o.point_id, o.slot_at, o.status, o.sent_at) IS DISTINCT FROM (n.point_id, n.slot_at, n.status, n.sent_at)
       UNION ALL
       SELECT n.point_id, n.slot_at, n.status, n.sent_at, 1
       FROM sh_old_rows o JOIN sh_new_rows n ON n.id = o.id
       WHERE (o.point_id, o.slot_at, o.status, o.sent_at) IS DISTINCT FROM (n.point_id, n.slot_at, n.status, n.sent_at)');
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER dga_submissions_tally_insert AFTER INSERT ON dga_submissions
  REFERENCING NEW TABLE AS sh_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_inserted();
CREATE TRIGGER dga_submissions_tally_delete AFTER DELETE ON dga_submissions
  REFERENCING OLD TABLE AS sh_old_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_deleted();
CREATE TRIGGER dga_submissions_tally_update AFTER UPDATE ON dga_submissions
  REFERENCING OLD TABLE AS sh_old_rows NEW TABLE AS sh_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_updated();

-- The back-fill of a zone added to dga_tally_zones (run by the report, in the transaction that adds it).
CREATE FUNCTION sh_dga_tally_backfill(new_zone text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO dga_slot_tallies (zone, point_id, standard, month, sent_on_time, sent_late, pending, failed, needs_attention)
  SELECT new_zone, s.point_id, o.standard, o.month, sum(o.sent_on_time), sum(o.sent_late), sum(o.pending), sum(o.failed),
         sum(o.needs_attention)
  FROM dga_submissions s
  CROSS JOIN LATERAL sh_dga_slot_outcomes(new_zone, s.slot_at, s.status, s.sent_at) o
  GROUP BY 1, 2, 3, 4
$$;
