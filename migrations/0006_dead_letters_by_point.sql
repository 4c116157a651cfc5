-- Dead letters of one point, newest first (GET /points/{id}/dead-letters).
CREATE INDEX IF NOT EXISTS dead_letters_point_received_idx ON dead_letters (point_id, received_at);
