import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { createLogger } from '../../src/infra/logger.js';
import { MqttIngest, pointIdOfTopic, readingsSubscription, sessionClientIds } from '../../src/telemetry/ingest/mqtt.ingest.js';

let t: TestContext;
let ingest: MqttIngest;
let pointId: number;

const topic = (id: number | string) => `smarthydro/points/${id}/readings`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const reading = { variable: 'caudal', ts: '2026-11-30T10:00:00Z', value: 36 };

async function deadLetters(code: string) {
  const r = await t.c.db.query<{ point_id: string | null; code: string; reason: string; payload: { topic: string } }>(
    'SELECT point_id, code, reason, payload FROM dead_letters WHERE code = $1 ORDER BY id',
    [code],
  );
  return r.rows;
}

beforeAll(async () => {
  t = await createTestContext();
  pointId = (await seedTenant(t, 'mqtt', 1)).points[0]!;
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'mqtt', variables_config: templateConfig('nettra') } });
  await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${pointId}/schema`, payload: { template_id: tpl.body.id } });
  // The message handling only; the broker side is covered by test/integration/mqtt-ingest.test.ts.
  ingest = new MqttIngest({
    url: 'mqtt://unused',
    topicPrefix: 'smarthydro',
    clientId: 'test',
    push: t.c.push,
    recordDeadLetters: (dead) => t.c.processor.recordDeadLetters(dead),
    logger: createLogger('silent'),
  });
});
afterAll(async () => t.close());

describe('topics', () => {
  it.each([
    ['smarthydro/points/12/readings', 12],
    ['other/points/12/readings', null],
    ['smarthydro/points/0/readings', null],
    ['smarthydro/points/abc/readings', null],
    ['smarthydro/points/12/readings/x', null],
    ['smarthydro/points/99999999999999999999/readings', null],
  ])('%s → %s', (t, id) => expect(pointIdOfTopic(t, 'smarthydro')).toBe(id));

  it('subscribes to every point of the prefix; in shared mode through a shared subscription named after it', () => {
    expect(readingsSubscription('smarthydro')).toBe('smarthydro/points/+/readings');
    expect(readingsSubscription('smarthydro', 'exclusive')).toBe('smarthydro/points/+/readings');
    expect(readingsSubscription('smarthydro', 'shared')).toBe('$share/smarthydro/smarthydro/points/+/readings');
  });

  it('has one session in exclusive mode, named by the client id, and one per connection in shared mode', () => {
    expect(sessionClientIds('ingest-0', 'exclusive')).toEqual(['ingest-0']);
    expect(sessionClientIds('ingest-0', 'exclusive', 4)).toEqual(['ingest-0']);
    expect(sessionClientIds('ingest-0', 'shared')).toEqual(['ingest-0-0', 'ingest-0-1']);
    expect(sessionClientIds('ingest-0', 'shared', 3)).toEqual(['ingest-0-0', 'ingest-0-1', 'ingest-0-2']);
  });
});

describe('an MQTT message', () => {
  it('with good readings is published on the raw topic', async () => {
    const before = await t.c.bus.lag(t.c.topics.processorGroup, [t.c.topics.raw]);
    expect(await ingest.handle(topic(pointId), json({ readings: [reading, { ...reading, ts: '2026-11-30T10:01:00Z' }] }))).toEqual({ published: 2, deadLetters: 0 });
    expect(await ingest.handle(topic(pointId), json(reading))).toEqual({ published: 1, deadLetters: 0 });
    expect((await t.c.bus.lag(t.c.topics.processorGroup, [t.c.topics.raw])) - before).toBe(2);
  });

  it('that is not JSON becomes one dead letter with the topic, once even when redelivered', async () => {
    const payload = Buffer.from('{"readings": [');
    expect(await ingest.handle(topic(pointId), payload)).toEqual({ published: 0, deadLetters: 1 });
    expect(await ingest.handle(topic(pointId), payload)).toEqual({ published: 0, deadLetters: 0 });
    const rows = await deadLetters('malformed_payload');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reason).toContain(topic(pointId));
    expect(rows[0]!.payload.topic).toBe(topic(pointId));
  });

  it('for an unknown point becomes a dead letter', async () => {
    expect(await ingest.handle(topic(987654), json(reading))).toEqual({ published: 0, deadLetters: 1 });
    expect((await deadLetters('unknown_point'))[0]!.reason).toContain('point 987654 does not exist');
  });

  it('keeps its good readings and dead-letters a bad one and an unknown variable, each with its reason', async () => {
    const r = await ingest.handle(
      topic(pointId),
      json({ readings: [{ ...reading, ts: '2026-11-30T11:00:00Z' }, { ...reading, ts: 'noon' }, { ...reading, variable: 'presion' }] }),
    );
    expect(r).toEqual({ published: 1, deadLetters: 2 });
    expect((await deadLetters('invalid_reading'))[0]!.reason).toContain('readings[1].ts');
    const unknown = await deadLetters('unknown_variable');
    expect(unknown[0]!.reason).toContain('"presion"');
    expect(Number(unknown[0]!.point_id)).toBe(pointId);
  });

  it.each([[Buffer.from([0xff, 0xfe, 0x00])], [Buffer.from('{"readings":[{"variable":"caudal","ts":"\\u0000\\ud800","value":1,"\\u0000":2}]}')], [json(null)], [json([1, 2])], [json({ readings: 'x' })], [Buffer.alloc(0)]])(
    'never throws on garbage (%#)',
    async (payload) => {
      const r = await ingest.handle(topic(pointId), payload);
      expect(r.published).toBe(0);
    },
  );

  it('rejects (so it is not acknowledged) when the bus refuses', async () => {
    const failing = new MqttIngest({
      url: 'mqtt://unused', topicPrefix: 'smarthydro', clientId: 'test', logger: createLogger('silent'),
      recordDeadLetters: async () => 0,
      push: Object.assign(Object.create(t.c.push), { publish: async () => { throw new Error('bus down'); } }),
    });
    await expect(failing.handle(topic(pointId), json(reading))).rejects.toThrow('bus down');
  });
});
