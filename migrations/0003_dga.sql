-- DGA MEE reporting: one row per (point, slot) the reporter owes DGA, kept for good as the record of
-- what was sent and what DGA answered. A row with a receipt is never sent again.
--
-- status     pending          due (or waiting for data / config), sent when next_attempt_at has passed
--            sending          claimed by a reporter until lease_until (an expired lease may be re-claimed:
--                             if the first send did reach DGA, DGA answers "Ya existe … Comprobante: X")
--            sent             receipt stored (numeroComprobante, or the one quoted by the duplicate answer)
--            failed           last attempt failed; retried at next_attempt_at, never when it is NULL
--            needs_attention  DGA refused the credentials or gave no receipt: an operator must act
CREATE TABLE dga_submissions (
  id                bigserial PRIMARY KEY,
  point_id          bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  slot_at           timestamptz NOT NULL,
  standard          text NOT NULL CHECK (standard IN ('MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS')),
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'needs_attention')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz,
  last_attempt_at   timestamptz,
  lease_until       timestamptz,
  lease_token       text,
  leased_by         text,
  -- catchment_points.updated_at when the last attempt was made: a credentials refusal pauses the point's
  -- queue only until its DGA configuration changes.
  point_updated_at  timestamptz,
  -- The last request sent: {path, headers, body} with autenticacion.password masked. Never the password.
  payload           jsonb,
  -- The numbers behind the payload and where they came from (caudal source, sample times).
  reading           jsonb,
  receipt           text,
  duplicate         boolean NOT NULL DEFAULT false,
  last_http_status  integer,
  last_response     text,
  error_code        text,
  error_message     text,
  sent_at           timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (point_id, slot_at),
  CHECK ((status = 'sent') = (receipt IS NOT NULL))
);

-- The reporter's queue: rows that may still be claimed, oldest slot first.
CREATE INDEX dga_submissions_queue ON dga_submissions (slot_at, id)
  WHERE status IN ('pending', 'sending', 'failed');
CREATE INDEX dga_submissions_status ON dga_submissions (status, slot_at);
CREATE INDEX dga_submissions_slot ON dga_submissions (slot_at);
