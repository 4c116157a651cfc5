-- The meter's own reading beside the continuous total. For a totalizer reading, value_numeric is the
-- continuous total (meter reading + initial meter reading + reset offsets: consumption and caudal) and
-- meter_value is the counter as the device counts it, scaled to m³, without any offset: what the DGA
-- receives as totalizador. A plain column (not a key inside processing_config) so the DGA sample read
-- stays one index range scan returning two floats, without parsing jsonb per row. NULL for every other
-- kind of variable and for totalizer readings that do not move the totalizer.
ALTER TABLE measurements ADD COLUMN meter_value double precision;

-- Readings stored before this column: the processor recorded the offset it added in processing_config.
UPDATE measurements
   SET meter_value = round((value_numeric - (processing_config->>'totalizer_offset')::float8)::numeric, 6)::float8
 WHERE value_numeric IS NOT NULL
   AND processing_config ? 'totalizer_offset'
   AND jsonb_typeof(processing_config->'totalizer_offset') = 'number';
