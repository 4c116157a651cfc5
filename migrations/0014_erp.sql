-- ERP: quotes, invoices with payments, expenses, equipment with assignments and maintenance.
-- Money is NUMERIC (exact); the API computes every total and never reads money as a binary float.
-- Amounts stay below 10^17 currency units (numeric(19,2)); quantities and rates carry up to 6 decimals.

-- Gap-free numbering: one row per series and year, incremented inside the creating transaction. The
-- upsert locks the row until that transaction ends, so a rolled-back creation gives its number back.
CREATE TABLE document_counters (
  series       text NOT NULL CHECK (series IN ('COT', 'FAC', 'GAS')),
  year         integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
  last_number  integer NOT NULL CHECK (last_number > 0),
  PRIMARY KEY (series, year)
);

CREATE TABLE quotes (
  id           bigserial PRIMARY KEY,
  number       text NOT NULL UNIQUE,
  client_id    bigint NOT NULL REFERENCES clients(id) ON DELETE RESTRICT,
  project_id   bigint REFERENCES projects(id) ON DELETE RESTRICT,
  status       text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SENT', 'ACCEPTED', 'REJECTED', 'EXPIRED')),
  currency     text NOT NULL CHECK (currency IN ('CLP', 'UF')),
  uf_value     numeric(12,2) CHECK (uf_value > 0),
  tax_rate     numeric(9,6) NOT NULL CHECK (tax_rate BETWEEN 0 AND 100),
  issue_date   date NOT NULL,
  valid_until  date NOT NULL,
  notes        text,
  subtotal     numeric(19,2) NOT NULL,
  tax_amount   numeric(19,2) NOT NULL,
  total        numeric(19,2) NOT NULL,
  created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quotes_client_idx ON quotes (client_id, issue_date);
CREATE INDEX quotes_project_idx ON quotes (project_id, issue_date);
CREATE INDEX quotes_sent_idx ON quotes (valid_until) WHERE status = 'SENT';

CREATE TABLE quote_items (
  id                bigserial PRIMARY KEY,
  quote_id          bigint NOT NULL REFERENCES quotes(id) ON DELETE CASCADE,
  position          integer NOT NULL,
  description       text NOT NULL,
  quantity          numeric(24,6) NOT NULL CHECK (quantity >= 0),
  unit_price        numeric(24,6) NOT NULL CHECK (unit_price >= 0),
  discount_percent  numeric(10,6) NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
  line_total        numeric(19,2) NOT NULL,
  UNIQUE (quote_id, position)
);

CREATE TABLE invoices (
  id           bigserial PRIMARY KEY,
  number       text NOT NULL UNIQUE,
  client_id    bigint NOT NULL REFERENCES clients(id) ON DELETE RESTRICT,
  project_id   bigint REFERENCES projects(id) ON DELETE RESTRICT,
  quote_id     bigint REFERENCES quotes(id) ON DELETE RESTRICT,
  status       text NOT NULL DEFAULT 'DRAFT'
               CHECK (status IN ('DRAFT', 'ISSUED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'CANCELLED')),
  currency     text NOT NULL CHECK (currency IN ('CLP', 'UF')),
  uf_value     numeric(12,2) CHECK (uf_value > 0),
  tax_rate     numeric(9,6) NOT NULL CHECK (tax_rate BETWEEN 0 AND 100),
  issue_date   date NOT NULL,
  due_date     date NOT NULL,
  notes        text,
  subtotal     numeric(19,2) NOT NULL,
  tax_amount   numeric(19,2) NOT NULL,
  total        numeric(19,2) NOT NULL,
  paid_amount  numeric(19,2) NOT NULL DEFAULT 0 CHECK (paid_amount >= 0 AND paid_amount <= total),
  created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_client_idx ON invoices (client_id, issue_date);
CREATE INDEX invoices_project_idx ON invoices (project_id, issue_date);
CREATE INDEX invoices_open_idx ON invoices (due_date) WHERE status IN ('ISSUED', 'PARTIALLY_PAID');
CREATE INDEX invoices_quote_idx ON invoices (quote_id);

CREATE TABLE invoice_items (
  id                bigserial PRIMARY KEY,
  invoice_id        bigint NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  position          integer NOT NULL,
  description       text NOT NULL,
  quantity          numeric(24,6) NOT NULL CHECK (quantity >= 0),
  unit_price        numeric(24,6) NOT NULL CHECK (unit_price >= 0),
  discount_percent  numeric(10,6) NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
  line_total        numeric(19,2) NOT NULL,
  UNIQUE (invoice_id, position)
);

CREATE TABLE payments (
  id          bigserial PRIMARY KEY,
  invoice_id  bigint NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  amount      numeric(19,2) NOT NULL CHECK (amount > 0),
  paid_at     date NOT NULL,
  method      text NOT NULL CHECK (method IN ('transfer', 'cash', 'check', 'card', 'other')),
  reference   text,
  created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_invoice_idx ON payments (invoice_id);
CREATE INDEX payments_paid_at_idx ON payments (paid_at);

CREATE TABLE equipment (
  id                 bigserial PRIMARY KEY,
  name               text NOT NULL,
  serial_number      text NOT NULL,
  category           text NOT NULL CHECK (category IN ('flowmeter', 'level_sensor', 'datalogger', 'modem', 'solar_panel', 'other')),
  manufacturer       text,
  model              text,
  specifications     jsonb NOT NULL DEFAULT '{}',
  purchase_date      date,
  installation_date  date,
  warranty_expires   date,
  status             text NOT NULL DEFAULT 'in_stock' CHECK (status IN ('in_stock', 'installed', 'under_repair', 'retired')),
  project_id         bigint REFERENCES projects(id) ON DELETE RESTRICT,
  point_id           bigint REFERENCES catchment_points(id) ON DELETE RESTRICT,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Serial numbers are unique whatever their letter case.
CREATE UNIQUE INDEX equipment_serial_unique ON equipment (lower(serial_number));
CREATE INDEX equipment_point_idx ON equipment (point_id);
CREATE INDEX equipment_warranty_idx ON equipment (warranty_expires);

CREATE TABLE equipment_assignments (
  id               bigserial PRIMARY KEY,
  equipment_id     bigint NOT NULL REFERENCES equipment(id) ON DELETE CASCADE,
  from_project_id  bigint REFERENCES projects(id) ON DELETE SET NULL,
  from_point_id    bigint REFERENCES catchment_points(id) ON DELETE SET NULL,
  to_project_id    bigint REFERENCES projects(id) ON DELETE SET NULL,
  to_point_id      bigint REFERENCES catchment_points(id) ON DELETE SET NULL,
  notes            text,
  assigned_by      bigint REFERENCES users(id) ON DELETE SET NULL,
  assigned_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX equipment_assignments_equipment_idx ON equipment_assignments (equipment_id, assigned_at);

CREATE TABLE expenses (
  id             bigserial PRIMARY KEY,
  number         text NOT NULL UNIQUE,
  category       text NOT NULL CHECK (category IN ('equipment', 'installation', 'maintenance', 'travel', 'services', 'other')),
  supplier       text,
  description    text,
  currency       text NOT NULL CHECK (currency IN ('CLP', 'UF')),
  amount         numeric(19,2) NOT NULL CHECK (amount >= 0),
  tax_rate       numeric(9,6) NOT NULL CHECK (tax_rate BETWEEN 0 AND 100),
  tax_amount     numeric(19,2) NOT NULL,
  total          numeric(19,2) NOT NULL,
  expense_date   date NOT NULL,
  project_id     bigint NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
  point_id       bigint REFERENCES catchment_points(id) ON DELETE SET NULL,
  equipment_id   bigint REFERENCES equipment(id) ON DELETE SET NULL,
  attachment_ref text,
  created_by     bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expenses_project_idx ON expenses (project_id, expense_date);
CREATE INDEX expenses_date_idx ON expenses (expense_date);

CREATE TABLE equipment_maintenance (
  id            bigserial PRIMARY KEY,
  equipment_id  bigint NOT NULL REFERENCES equipment(id) ON DELETE CASCADE,
  performed_on  date NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('preventive', 'corrective', 'calibration', 'inspection', 'other')),
  notes         text,
  cost          numeric(19,2),
  expense_id    bigint REFERENCES expenses(id) ON DELETE SET NULL,
  created_by    bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX equipment_maintenance_equipment_idx ON equipment_maintenance (equipment_id, performed_on);
