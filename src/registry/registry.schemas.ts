import { Type } from '@sinclair/typebox';
import { Id, Nullable, numericMax, Pagination, Timestamp } from '../http/schemas.js';
import { CODIGO_OBRA_PATTERN } from '../dga/validation.js';
import { DGA_STANDARDS, DGA_TYPES, LEGACY_DGA_STANDARDS } from '../dga/types.js';
import { POINT_PROVIDERS } from '../providers/provider.js';

const DgaTotalizerSourceSchema = Type.Union([Type.Literal('meter'), Type.Literal('accumulated')]);
import { VALUE_TYPES, VARIABLE_KINDS } from './variables.js';

/** Collection intervals a point may have, minutes. */
export const COLLECTION_FREQUENCIES = [1, 5, 10, 60] as const;

const Rut = Type.String({ minLength: 3, maxLength: 14, description: 'Chilean RUT, e.g. 76123456-0 (dots allowed)' });

export const ClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    rut: Rut,
    address: Type.Optional(Nullable(Type.String())),
    phone: Type.Optional(Nullable(Type.String())),
    email: Type.Optional(Nullable(Type.String({ format: 'email' }))),
  },
  { additionalProperties: false },
);
export const ClientPatch = Type.Partial(ClientBody, { additionalProperties: false });
export const Client = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  rut: Type.String(),
  address: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const ProjectBody = Type.Object(
  {
    client_id: Id(),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    code_internal: Type.Optional(Nullable(Type.String({ maxLength: 50, description: 'unique per client; an empty code is stored as none' }))),
  },
  { additionalProperties: false },
);
export const ProjectPatch = Type.Partial(ProjectBody, { additionalProperties: false });
export const Project = Type.Object({
  id: Type.Integer(),
  client_id: Type.Integer(),
  name: Type.String(),
  code_internal: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** Where a point's readings come from: a provider's API or `push`. */
export const PointProviderSchema = Type.Union(POINT_PROVIDERS.map((p) => Type.Literal(p)));
/** Collection interval, minutes. */
export const Frequency = Type.Union(COLLECTION_FREQUENCIES.map((f) => Type.Literal(f)));
/** Legacy SIN_ESTANDAR is accepted and stored as MAYOR. */
const Standard = Type.Union([...DGA_STANDARDS, ...Object.keys(LEGACY_DGA_STANDARDS)].map((s) => Type.Literal(s)));
const DgaType = Type.Union(DGA_TYPES.map((t) => Type.Literal(t)));
// Maxima are the columns' own (numeric(p, s)), so the database never sees a value it would refuse.
const Metres = Nullable(Type.Number({ minimum: 0, maximum: numericMax(8, 2) }));

const pointFields = {
  project_id: Id(),
  title: Type.String({ minLength: 1, maxLength: 300 }),
  owner_user_id: Type.Optional(Nullable(Id())),
  viewer_user_ids: Type.Optional(Type.Array(Id(), { uniqueItems: true, maxItems: 1000 })),
  latitude: Type.Optional(Nullable(Type.Number({ description: 'decimal degrees, -90..90; both or neither' }))),
  longitude: Type.Optional(Nullable(Type.Number({ description: 'decimal degrees, -180..180; both or neither' }))),
  is_telemetry_active: Type.Optional(Type.Boolean()),
  provider: Type.Optional(Nullable(PointProviderSchema)),
  frequency: Type.Optional(Frequency),
  provider_device: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  provider_token: Type.Optional(Nullable(Type.String({ maxLength: 500, description: 'write-only; stored encrypted' }))),
  telemetry_start_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  well_depth: Type.Optional(Metres),
  pump_position: Type.Optional(Metres),
  level_sensor_position: Type.Optional(Metres),
  pipe_diameter: Type.Optional(Metres),
  flowmeter_diameter: Type.Optional(Metres),
  initial_meter_reading: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: numericMax(15, 3) }))),
  dga_send: Type.Optional(Type.Boolean()),
  dga_standard: Type.Optional(Nullable(Standard)),
  dga_type: Type.Optional(Nullable(DgaType)),
  dga_code: Type.Optional(Nullable(Type.String({ maxLength: 30, pattern: CODIGO_OBRA_PATTERN.source, description: 'código de obra, e.g. OB-0602-7' }))),
  dga_granted_flow: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: numericMax(12, 3) }))),
  dga_annual_volume: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: numericMax(15, 2) }))),
  dga_shac: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  dga_informant_rut: Type.Optional(Nullable(Rut)),
  dga_password: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'write-only; stored encrypted' }))),
  dga_company_rut: Type.Optional(Nullable(Rut)),
  dga_start_date: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  /** totalizador sent to the DGA: 'meter' (the meter's own reading, default) or 'accumulated' (the continuous total); null: the totalizer variable's setting. */
  dga_totalizer_source: Type.Optional(Nullable(DgaTotalizerSourceSchema)),
  dga_work_point_id: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: 2147483647,
        description: "this point's meter reports in the DGA work of that point (caudal and totalizador summed; it must not send itself)",
      }),
    ),
  ),
};

export const PointBody = Type.Object(pointFields, { additionalProperties: false });
export const PointPatch = Type.Partial(PointBody, { additionalProperties: false });

const N = Nullable(Type.Number());
export const Point = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  client_id: Type.Integer(),
  title: Type.String(),
  owner_user_id: Nullable(Type.Integer()),
  viewer_user_ids: Type.Array(Type.Integer()),
  latitude: N,
  longitude: N,
  is_telemetry_active: Type.Boolean(),
  provider: Nullable(Type.String()),
  frequency: Type.Integer(),
  provider_device: Nullable(Type.String()),
  has_provider_token: Type.Boolean(),
  telemetry_start_at: Nullable(Timestamp),
  well_depth: N,
  pump_position: N,
  level_sensor_position: N,
  pipe_diameter: N,
  flowmeter_diameter: N,
  initial_meter_reading: N,
  dga_send: Type.Boolean(),
  dga_standard: Nullable(Type.String()),
  dga_type: Nullable(Type.String()),
  dga_code: Nullable(Type.String()),
  dga_granted_flow: N,
  dga_annual_volume: N,
  dga_shac: Nullable(Type.String()),
  dga_informant_rut: Nullable(Type.String()),
  has_dga_password: Type.Boolean(),
  dga_company_rut: Nullable(Type.String()),
  dga_start_date: Nullable(Type.String()),
  dga_work_point_id: Nullable(Type.Integer()),
  dga_totalizer_source: Nullable(DgaTotalizerSourceSchema),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const PointWithDistance = Type.Intersect([Point, Type.Object({ distance_m: Type.Number() })]);

export const PointListQuery = Type.Object({
  ...Pagination,
  project_id: Type.Optional(Id()),
  client_id: Type.Optional(Id()),
  provider: Type.Optional(PointProviderSchema),
  frequency: Type.Optional(Frequency),
  is_telemetry_active: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'title contains this text (literally)' })),
  bbox: Type.Optional(Type.String({ maxLength: 200, description: 'minLon,minLat,maxLon,maxLat' })),
});

export const Json = Type.Unknown();
export const TemplateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    category: Type.Optional(Type.String({ maxLength: 100 })),
    well_defaults: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    variables_config: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          {
            label: Type.Optional(Type.String()),
            kind: Type.Union(VARIABLE_KINDS.map((k) => Type.Literal(k))),
            unit: Type.Optional(Type.String()),
            value_type: Type.Optional(Type.Union(VALUE_TYPES.map((v) => Type.Literal(v)))),
            channel: Type.String({ minLength: 1 }),
            processing: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          },
          { additionalProperties: true },
        ),
        { description: 'object keyed by variable key' },
      ),
    ),
    dga_config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export const TemplatePatch = Type.Partial(TemplateBody, { additionalProperties: false });
export const Template = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  category: Type.String(),
  well_defaults: Json,
  variables_config: Json,
  dga_config: Json,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const PointSchemaBody = Type.Object(
  {
    template_id: Type.Optional(Nullable(Id())),
    custom_config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export const PointSchema = Type.Object({
  point_id: Type.Integer(),
  template_id: Nullable(Type.Integer()),
  custom_config: Json,
  merged_config: Json,
  dga_config: Json,
  updated_at: Timestamp,
});

/** One variable of a point as GET /points/{id}/variables describes it. */
export const VariableDescription = Type.Object({
  variable: Type.String(),
  label: Type.String(),
  kind: Type.Union(VARIABLE_KINDS.map((k) => Type.Literal(k))),
  role: Nullable(Type.Union([Type.Literal('flow'), Type.Literal('totalizer'), Type.Literal('level')])),
  unit: Nullable(Type.String({ description: 'unit of the stored values: L/s, m3, m; null where not converted' })),
});
