import { describe, expect, it } from 'vitest';
import { deadLetter } from './dead-letter.js';

const message = { topic: 'telemetry.raw.v1', value: '{"v":1,"point_id":5,"readings":"nope"}' };
const flow = { point_id: 5, variable: 'flow', ts: new Date('2026-11-30T10:00:00Z') };

describe('deadLetter', () => {
  it('keys a refusal by what was refused, so a re-delivery or a second import of it stores nothing new', () => {
    const again = { topic: message.topic, value: message.value };
    const whole = deadLetter(message, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: 'x' }, {});
    expect(deadLetter(again, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: 'x' }, {}).fingerprint).toBe(whole.fingerprint);
    const one = deadLetter(message, 7, flow, { code: 'future_timestamp', reason: 'y' }, { raw: 1 });
    // The same reading at another position of another message: the same refusal.
    expect(deadLetter({ topic: message.topic, value: 'other' }, 2, flow, { code: 'future_timestamp', reason: 'y' }, { raw: 1 }).fingerprint).toBe(one.fingerprint);
  });

  it('never takes a new refusal for a recorded one because both sat at the same bus position', () => {
    const one = deadLetter(message, 0, flow, { code: 'unparseable_value', reason: 'y' }, { raw: 'abc' });
    expect(deadLetter(message, 0, flow, { code: 'unparseable_value', reason: 'y' }, { raw: 'abd' }).fingerprint).not.toBe(one.fingerprint);
    expect(deadLetter(message, 0, { ...flow, ts: new Date('2026-11-30T10:01:00Z') }, { code: 'unparseable_value', reason: 'y' }, { raw: 'abc' }).fingerprint).not.toBe(one.fingerprint);
    expect(deadLetter(message, 0, { ...flow, variable: 'level' }, { code: 'unparseable_value', reason: 'y' }, { raw: 'abc' }).fingerprint).not.toBe(one.fingerprint);
    const otherMessage = { topic: message.topic, value: '{"v":2}' };
    expect(deadLetter(otherMessage, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: 'x' }, {}).fingerprint)
      .not.toBe(deadLetter(message, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: 'x' }, {}).fingerprint);
  });

  it('keeps a valid time as ISO text and drops an invalid one', () => {
    const row = deadLetter(message, 0, flow, { code: 'c', reason: 'r' }, { raw: 1 });
    expect(row).toMatchObject({ point_id: 5, variable: 'flow', ts: '2026-11-30T10:00:00.000Z', code: 'c', reason: 'r', payload: { raw: 1 } });
    expect(deadLetter(message, 0, { ...flow, ts: new Date('nope') }, { code: 'c', reason: 'r' }, null).ts).toBeNull();
  });
});
