import type { Container } from '../container.js';
import type { Principal } from '../auth/principal.js';
import { rutCheckDigit } from '../registry/rut.js';
import { DemoRepository } from './demo.repository.js';
import type { Json } from '../registry/deep-merge.js';

/** Channel keys the built-in provider simulator serves, per provider (see providers/simulator). */
export const DEMO_CHANNELS = {
  twin: { flow: { channel: 'caudal', unit: 'L/s' }, totalizer: { channel: 'totalizador', unit: 'm3', kind: 'totalizer' }, level: { channel: 'nivel', unit: 'm' } },
  nettra: { flow: { channel: 'flow_m3h', unit: 'm3/h' }, totalizer: { channel: 'total_pulses', unit: 'pulses', kind: 'pulses' }, level: { channel: 'level', unit: 'm' } },
  novus: { flow: { channel: 'caudal', unit: 'L/s' }, totalizer: { channel: 'totalizador', unit: 'm3', kind: 'totalizer' }, level: { channel: 'nivel', unit: 'm' } },
} as const;

type DemoProvider = keyof typeof DEMO_CHANNELS;
const PROVIDERS: DemoProvider[] = ['twin', 'nettra', 'novus'];
const FREQUENCIES = [1, 5, 60] as const;

interface Site {
  region: string;
  regionCode: string;
  place: string;
  lat: number;
  lon: number;
}

const CLIENTS: { name: string; body: number; email: string; projects: [string, string, Site][] }[] = [
  {
    name: 'Agrícola Valle del Elqui SpA',
    body: 76543210,
    email: 'operaciones@valleelqui.cl',
    projects: [
      ['Riego Vicuña', 'AVE-VIC', { region: 'Coquimbo', regionCode: '0402', place: 'Vicuña', lat: -30.03, lon: -70.71 }],
      ['Parronales Ovalle', 'AVE-OVA', { region: 'Coquimbo', regionCode: '0403', place: 'Ovalle', lat: -30.6, lon: -71.2 }],
    ],
  },
  {
    name: 'Minera Los Andes Ltda.',
    body: 77123456,
    email: 'agua@mineralosandes.cl',
    projects: [
      ['Campo de pozos Pampa', 'MLA-PAM', { region: 'Tarapacá', regionCode: '0102', place: 'Pozo Almonte', lat: -20.26, lon: -69.79 }],
      ['Acuífero Copiapó', 'MLA-COP', { region: 'Atacama', regionCode: '0301', place: 'Copiapó', lat: -27.37, lon: -70.33 }],
    ],
  },
  {
    name: 'Sanitaria Central S.A.',
    body: 96870230,
    email: 'telemetria@sanitariacentral.cl',
    projects: [
      ['Captaciones Rancagua', 'SCE-RAN', { region: "O'Higgins", regionCode: '0601', place: 'Rancagua', lat: -34.17, lon: -70.74 }],
      ['Sondajes Talca', 'SCE-TAL', { region: 'Maule', regionCode: '0701', place: 'Talca', lat: -35.43, lon: -71.65 }],
    ],
  },
];

export const DEMO_POINTS_PER_PROJECT = 11;
export const DEMO_HISTORY_HOURS = 48;

/** Deterministic PRNG so every demo database looks the same. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rut(body: number): string {
  return `${body}-${rutCheckDigit(String(body))}`;
}

export function templateConfig(provider: DemoProvider): Json {
  const ch = DEMO_CHANNELS[provider];
  return {
    caudal: {
      label: 'Caudal',
      kind: 'flow',
      unit: ch.flow.unit,
      channel: ch.flow.channel,
      processing: { ...(ch.flow.unit === 'm3/h' ? { m3h_to_ls: true } : {}), valid_range: { min: 0, max: 200 } },
    },
    totalizador: {
      label: 'Totalizador',
      kind: ch.totalizer.kind,
      unit: ch.totalizer.unit,
      channel: ch.totalizer.channel,
      processing: ch.totalizer.kind === 'pulses' ? { pulses_factor: 10 } : {},
    },
    nivel: { label: 'Nivel freático', kind: 'level', unit: 'm', channel: ch.level.channel, processing: { valid_range: { min: 0, max: 300 } } },
  };
}

/**
 * Seeds an empty database with 3 clients, 6 projects and 66 points across Chile, one schema
 * template per provider, and DGA reporting on every other point (mostly MAYOR).
 * Returns false (and changes nothing) when any client exists already.
 */
export async function seedDemo(c: Container, now = new Date()): Promise<{ seeded: boolean; points: number }> {
  const demo = new DemoRepository(c.db);
  if ((await demo.clientCount()) > 0) return { seeded: false, points: 0 };
  const actor: Principal = { userId: (await demo.firstAdminId()) ?? 0, role: 'admin', clientId: null };
  const random = mulberry32(20261130);

  const templates = new Map<DemoProvider, number>();
  for (const provider of PROVIDERS) {
    const t = await c.schemas.createTemplate(actor, {
      name: `Pozo ${provider} estándar`,
      category: 'pozo',
      well_defaults: { max_m3_per_hour: 500 },
      variables_config: templateConfig(provider),
      dga_config: { tipo: 'SUBTERRANEO' },
    });
    templates.set(provider, t.id);
  }

  // Two days of history: enough for DGA back-fill and charts, small enough for PGlite to ingest in about a minute.
  const start = new Date(now.getTime() - DEMO_HISTORY_HOURS * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  let n = 0;
  for (const [ci, spec] of CLIENTS.entries()) {
    const client = await c.clients.create(actor, { name: spec.name, rut: rut(spec.body), email: spec.email });
    for (const [name, code, site] of spec.projects) {
      const project = await c.projects.create(actor, { client_id: client.id, name, code_internal: code });
      for (let i = 0; i < DEMO_POINTS_PER_PROJECT; i++, n++) {
        const provider = PROVIDERS[n % 3]!;
        const frequency = FREQUENCIES[Math.floor(n / 3) % 3]!;
        const depth = Math.round(60 + random() * 90);
        const dga = n % 2 === 0;
        const point = await c.points.create(actor, {
          project_id: project.id,
          title: `Pozo ${site.place} ${i + 1}`,
          latitude: round8(site.lat + (random() - 0.5) * 0.2),
          longitude: round8(site.lon + (random() - 0.5) * 0.2),
          is_telemetry_active: true,
          provider,
          frequency,
          provider_device: provider === 'twin' ? deviceUuid(random) : null,
          provider_token: provider === 'twin' ? null : `demo-${provider}-${ci}${code.toLowerCase()}-${i + 1}`,
          telemetry_start_at: start.toISOString(),
          well_depth: depth,
          pump_position: depth - 15,
          level_sensor_position: depth - 10,
          pipe_diameter: 0.15,
          flowmeter_diameter: 0.1,
          initial_meter_reading: 0,
          dga_send: dga,
          dga_standard: dga ? (n % 10 === 4 ? 'MEDIO' : 'MAYOR') : null,
          dga_type: dga ? 'SUBTERRANEO' : null,
          dga_code: dga ? `OB-${site.regionCode}-${100 + n}` : null,
          dga_granted_flow: dga ? Math.round(20 + random() * 40) : null,
          dga_annual_volume: dga ? Math.round(300_000 + random() * 700_000) : null,
          dga_shac: dga ? `SHAC ${site.place}` : null,
          dga_informant_rut: dga ? rut(15000000 + n * 7919) : null,
          dga_password: dga ? 'demo' : null,
          dga_company_rut: dga ? rut(spec.body) : null,
          dga_start_date: dga ? start.toISOString().slice(0, 10) : null,
        });
        await c.schemas.setPointSchema(actor, point.id, { template_id: templates.get(provider)! });
      }
    }
  }
  return { seeded: true, points: n };
}

function round8(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

function deviceUuid(random: () => number): string {
  const hex = () => Math.floor(random() * 16).toString(16);
  const part = (k: number) => Array.from({ length: k }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}
