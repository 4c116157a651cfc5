-- The tally upkeep of 0021 in one trigger function instead of three that repeated their body: the
-- statement's kind (TG_OP) picks the rows whose outcomes it adds (+1) or takes away (-1). The three
-- statement triggers stay, one per event: a trigger with transition tables serves a single event.

CREATE OR REPLACE FUNCTION sh_dga_tally_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dga_tally_zones) THEN
    EXECUTE sh_dga_tally_sql(CASE TG_OP
      WHEN 'INSERT' THEN 'SELECT point_id, slot_at, status, sent_at, 1 AS sign FROM sh_new_rows'
      WHEN 'DELETE' THEN 'SELECT point_id, slot_at, status, sent_at, -1 AS sign FROM sh_old_rows'
      -- Only rows whose counted fields changed: a lease renewed or an attempt recorded changes no tally.
      WHEN 'UPDATE' THEN 'SELECT o.point_id, o.slot_at, o.status, o.sent_at, -1 AS sign
                         FROM sh_old_rows o JOIN sh_new_rows n ON n.id = o.id
                         WHERE (o.point_id, o.slot_at, o.status, o.sent_at) IS DISTINCT FROM (n.point_id, n.slot_at, n.status, n.sent_at)
                         UNION ALL
                         SELECT n.point_id, n.slot_at, n.status, n.sent_at, 1
                         FROM sh_old_rows o JOIN sh_new_rows n ON n.id = o.id
                         WHERE (o.point_id, o.slot_at, o.status, o.sent_at) IS DISTINCT FROM (n.point_id, n.slot_at, n.status, n.sent_at)'
    END);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER dga_submissions_tally_insert ON dga_submissions;
DROP TRIGGER dga_submissions_tally_delete ON dga_submissions;
DROP TRIGGER dga_submissions_tally_update ON dga_submissions;
DROP FUNCTION sh_dga_tally_inserted();
DROP FUNCTION sh_dga_tally_deleted();
DROP FUNCTION sh_dga_tally_updated();

CREATE TRIGGER dga_submissions_tally_insert AFTER INSERT ON dga_submissions
  REFERENCING NEW TABLE AS sh_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_changed();
CREATE TRIGGER dga_submissions_tally_delete AFTER DELETE ON dga_submissions
  REFERENCING OLD TABLE AS sh_old_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_changed();
CREATE TRIGGER dga_submissions_tally_update AFTER UPDATE ON dga_submissions
  REFERENCING OLD TABLE AS sh_old_rows NEW TABLE AS sh_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sh_dga_tally_changed();
