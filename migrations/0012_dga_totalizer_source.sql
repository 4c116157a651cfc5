-- What a point reports to the DGA as totalizador: the meter's own reading (`meter`, the regulatory rule)
-- or the continuous total (`accumulated`, for a logger that counts from installation). NULL: the
-- totalizer variable's `processing.dga_totalizer_source`, else `meter`.
ALTER TABLE catchment_points ADD COLUMN dga_totalizer_source text
  CHECK (dga_totalizer_source IN ('meter', 'accumulated'));
