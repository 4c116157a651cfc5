-- Every (código de obra, fechaMedicion, horaMedicion) DGA has given a receipt for, whoever sent it: the
-- reporter (recorded with the receipt) or the legacy system (brought by import-legacy from n_voucher,
-- labelled as the legacy system labelled: America/Santiago wall-clock). The reporter never sends a
-- label found here, even when the slot instant in DGA_TIMEZONE differs from the legacy one.
CREATE TABLE dga_receipted_labels (
  codigo_obra     text NOT NULL,
  fecha_medicion  text NOT NULL,
  hora_medicion   text NOT NULL,
  receipt         text NOT NULL,
  submission_id   bigint REFERENCES dga_submissions(id) ON DELETE SET NULL,
  source          text NOT NULL CHECK (source IN ('reporter', 'legacy_import')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (codigo_obra, fecha_medicion, hora_medicion)
);

-- What the import needs to know again about a mapped row in later runs (a variable's scheme and kind).
ALTER TABLE legacy_ids ADD COLUMN detail jsonb;
