import { describe, expect, it } from 'vitest';
import { hostAllowed, originChanged, originOf } from './account.rules.js';

describe('provider account origins', () => {
  it.each([
    ['https://api.tdata.cl/api', 'https://api.tdata.cl/v2', false],
    ['https://API.tdata.cl/api', 'https://api.tdata.cl', false],
    ['https://api.tdata.cl/api', 'https://evil.example/api', true],
    ['https://api.tdata.cl/api', 'http://api.tdata.cl/api', true],
    ['https://api.tdata.cl/api', 'https://api.tdata.cl:8443/api', true],
    ['https://api.tdata.cl/api', 'https://api.tdata.cl.evil.example/api', true],
    ['https://api.tdata.cl/api', 'https://user@evil.example/api', true],
  ])('%s → %s: origin changed %s', (before, after, changed) => {
    expect(originChanged(before, after)).toBe(changed);
  });

  it('reads only http(s) URLs', () => {
    expect(originOf('ftp://x.cl/a')).toBeNull();
    expect(originOf('not a url')).toBeNull();
    expect(originOf('https://x.cl:443/a')).toBe('https://x.cl');
  });

  it.each([
    ['https://api.tdata.cl/api', undefined, true],
    ['https://api.tdata.cl/api', ['api.tdata.cl'], true],
    ['https://API.TDATA.CL/api', ['api.tdata.cl'], true],
    ['https://evil.example/api', ['api.tdata.cl'], false],
    ['https://sub.api.tdata.cl/api', ['api.tdata.cl'], false],
    ['https://api.tdata.cl:8443/api', ['api.tdata.cl:8443'], true],
    ['https://api.tdata.cl:9999/api', ['api.tdata.cl:8443'], false],
    ['garbage', ['api.tdata.cl'], false],
  ])('%s allowed by %j: %s', (url, allowlist, allowed) => {
    expect(hostAllowed(url, allowlist as string[] | undefined)).toBe(allowed);
  });
});
