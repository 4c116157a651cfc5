-- Registry: tenants (clients), projects, users, schema templates, catchment points and their dynamic schemas.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE clients (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  rut         text NOT NULL UNIQUE,
  address     text,
  phone       text,
  email       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  id             bigserial PRIMARY KEY,
  client_id      bigint NOT NULL REFERENCES clients(id) ON DELETE RESTRICT,
  name           text NOT NULL,
  code_internal  text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, code_internal)
);
CREATE INDEX projects_client_idx ON projects (client_id);

CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  email          text NOT NULL UNIQUE CHECK (email = lower(email)),
  name           text,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'operator', 'client')),
  client_id      bigint REFERENCES clients(id) ON DELETE CASCADE,
  is_active      boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'client') = (client_id IS NOT NULL))
);

CREATE TABLE api_keys (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name          text NOT NULL,
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

CREATE TABLE schema_templates (
  id                bigserial PRIMARY KEY,
  name              text NOT NULL UNIQUE,
  category          text NOT NULL DEFAULT 'general',
  well_defaults     jsonb NOT NULL DEFAULT '{}',
  variables_config  jsonb NOT NULL DEFAULT '{}',
  dga_config        jsonb NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catchment_points (
  id                     bigserial PRIMARY KEY,
  project_id             bigint NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
  title                  text NOT NULL,
  owner_user_id          bigint REFERENCES users(id) ON DELETE SET NULL,
  latitude               numeric(10,8) CHECK (latitude BETWEEN -90 AND 90),
  longitude              numeric(11,8) CHECK (longitude BETWEEN -180 AND 180),
  is_telemetry_active    boolean NOT NULL DEFAULT false,
  provider               text CHECK (provider IN ('twin', 'nettra', 'novus', 'push')),
  frequency              smallint NOT NULL DEFAULT 5 CHECK (frequency IN (1, 5, 10, 60)),
  provider_device        text,
  provider_token_enc     text,
  telemetry_start_at     timestamptz,
  well_depth             numeric(8,2),
  pump_position          numeric(8,2),
  level_sensor_position  numeric(8,2),
  pipe_diameter          numeric(8,2),
  flowmeter_diameter     numeric(8,2),
  initial_meter_reading  numeric(15,3),
  dga_send               boolean NOT NULL DEFAULT false,
  dga_standard           text CHECK (dga_standard IN ('MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS')),
  dga_type               text CHECK (dga_type IN ('SUBTERRANEO', 'SUPERFICIAL')),
  dga_code               text CHECK (dga_code ~ '^O[BR]-\d{4}-\d+$'),
  dga_granted_flow       numeric(12,3),
  dga_annual_volume      numeric(15,2),
  dga_shac               text,
  dga_informant_rut      text,
  dga_password_enc       text,
  dga_company_rut        text,
  dga_start_date         date,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX points_active_provider_idx ON catchment_points (is_telemetry_active, provider);
CREATE INDEX points_frequency_active_idx ON catchment_points (frequency, is_telemetry_active);
CREATE INDEX points_project_active_idx ON catchment_points (project_id, is_telemetry_active);
-- Radius queries: earth cube around each point.
CREATE INDEX points_earth_gist ON catchment_points
  USING gist (ll_to_earth(latitude::float8, longitude::float8)) WHERE latitude IS NOT NULL;
-- Bounding-box queries: (lon, lat) as a 2-D cube.
CREATE INDEX points_lonlat_gist ON catchment_points
  USING gist (cube(ARRAY[longitude::float8, latitude::float8])) WHERE latitude IS NOT NULL;

CREATE TABLE point_viewers (
  point_id  bigint NOT NULL REFERENCES catchment_points(id) ON DELETE CASCADE,
  user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (point_id, user_id)
);

CREATE TABLE dynamic_schemas (
  point_id       bigint PRIMARY KEY REFERENCES catchment_points(id) ON DELETE CASCADE,
  template_id    bigint REFERENCES schema_templates(id) ON DELETE SET NULL,
  custom_config  jsonb NOT NULL DEFAULT '{}',
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dynamic_schemas_template_idx ON dynamic_schemas (template_id);
