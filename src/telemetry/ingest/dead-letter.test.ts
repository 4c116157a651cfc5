import { describe, expect, it } from 'vitest';
import { deadLetter } from './dead-letter.js';

const message = { topic: 'telemetry.raw.v1', partition: 3, offset: 42n };

describe('deadLetter', () => {
  it('keys a whole message by its bus position and a reading by its position in the message', () => {
    const whole = deadLetter(message, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: 'x' }, {});
    const one = deadLetter(message, 7, { point_id: 5, variable: 'flow', ts: null }, { code: 'invalid_reading', reason: 'y' }, {});
    expect(whole.fingerprint).toBe('telemetry.raw.v1/3/42');
    expect(one.fingerprint).toBe('telemetry.raw.v1/3/42/7');
    expect(deadLetter(message, 7, { point_id: 5, variable: 'flow', ts: null }, { code: 'other', reason: 'z' }, {}).fingerprint).toBe(one.fingerprint);
  });

  it('keeps a valid time as ISO text and drops an invalid one', () => {
    const subject = { point_id: 5, variable: 'flow' };
    const at = new Date('2026-11-30T10:00:00Z');
    expect(deadLetter(message, 0, { ...subject, ts: at }, { code: 'c', reason: 'r' }, { raw: 1 })).toEqual({
      fingerprint: 'telemetry.raw.v1/3/42/0', point_id: 5, variable: 'flow', ts: '2026-11-30T10:00:00.000Z', code: 'c', reason: 'r', payload: { raw: 1 },
    });
    expect(deadLetter(message, 0, { ...subject, ts: new Date('nope') }, { code: 'c', reason: 'r' }, null).ts).toBeNull();
  });
});
