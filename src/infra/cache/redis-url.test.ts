import { describe, expect, it } from 'vitest';
import { parseClusterUrl } from './redis.js';

describe('parseClusterUrl', () => {
  it.each([
    ['redis+cluster://h1:7001,h2:7002,h3:7003', { nodes: [{ host: 'h1', port: 7001 }, { host: 'h2', port: 7002 }, { host: 'h3', port: 7003 }], auth: {}, tls: false }],
    ['redis+cluster://:s3cr%40t@h1:6379,h2', { nodes: [{ host: 'h1', port: 6379 }, { host: 'h2', port: 6379 }], auth: { password: 's3cr@t' }, tls: false }],
    ['rediss+cluster://app:pw@redis-0.redis:6380', { nodes: [{ host: 'redis-0.redis', port: 6380 }], auth: { username: 'app', password: 'pw' }, tls: true }],
  ])('%s', (url, expected) => {
    expect(parseClusterUrl(url)).toEqual(expected);
  });

  it('is undefined for a single-node URL', () => {
    expect(parseClusterUrl('redis://127.0.0.1:6379')).toBeUndefined();
    expect(parseClusterUrl('rediss://:pw@host:6380/0')).toBeUndefined();
  });
});
