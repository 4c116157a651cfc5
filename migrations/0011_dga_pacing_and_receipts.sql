-- The next time a DGA request may go out for an informante RUT, shared by every reporter: a reporter
-- takes the RUT (UPDATE … WHERE next_at <= now() RETURNING), holds it while its request is in flight
-- (next_at pushed ahead by a lease), and on the answer sets next_at to the answer's time + the spacing.
CREATE TABLE dga_informant_pacing (
  informante_rut  text PRIMARY KEY,
  next_at         timestamptz NOT NULL,
  held_by         text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
