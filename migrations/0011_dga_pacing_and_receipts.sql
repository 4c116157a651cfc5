-- The next time a DGA request may go out for an informante RUT, shared by every reporter: a reporter
-- takes the RUT (UPDATE … WHERE next_at <= now() RETURNING), holds it while its request is in flight
-- (next_at pushed ahead by a lease), and on the answer sets next_at to the answer's time + the spacing.
CREATE TABLE dga_informant_pacing (
  informante_rut  text PRIMARY KEY,
  next_at         timestamptz NOT NULL,
  held_by         text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Receipts survive any registry change: a point with receipted submissions cannot be deleted (archive it
-- instead). Its rows without a receipt (the queue) go with it.
ALTER TABLE dga_submissions DROP CONSTRAINT dga_submissions_point_id_fkey;
ALTER TABLE dga_submissions ADD CONSTRAINT dga_submissions_point_id_fkey
  FOREIGN KEY (point_id) REFERENCES catchment_points(id) ON DELETE RESTRICT;

CREATE FUNCTION sh_drop_unreceipted_submissions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dga_submissions WHERE point_id = OLD.id AND receipt IS NULL;
  RETURN OLD;
END $$;

CREATE TRIGGER catchment_points_drop_unreceipted_submissions
  BEFORE DELETE ON catchment_points
  FOR EACH ROW EXECUTE FUNCTION sh_drop_unreceipted_submissions();

-- A DGA work (código de obra) measured by several meters: a member point names the point that holds the
-- work's DGA settings; the work reports caudal and totalizador summed over every meter.
ALTER TABLE catchment_points ADD COLUMN dga_work_point_id bigint REFERENCES catchment_points(id) ON DELETE SET NULL;
ALTER TABLE catchment_points ADD CONSTRAINT catchment_points_work_not_self CHECK (dga_work_point_id <> id);
CREATE INDEX catchment_points_dga_work ON catchment_points (dga_work_point_id) WHERE dga_work_point_id IS NOT NULL;
