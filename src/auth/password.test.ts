import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from './password.js';

describe('password hashes', () => {
  it('hashes at N=2^17, r=8, p=1 (128 MiB, above Node’s default scrypt memory limit)', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('wrong horse', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
  });

  it('still verifies an older, cheaper hash and says it needs re-hashing', async () => {
    const old = await hashPassword('correct horse', { N: 16384, r: 8, p: 1 });
    expect(old).toMatch(/^scrypt\$16384\$/);
    expect(await verifyPassword('correct horse', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(old, { N: 16384, r: 8, p: 1 })).toBe(false);
  });

  it('refuses malformed or absurd stored hashes instead of throwing or allocating', async () => {
    for (const bad of ['', 'bcrypt$x', 'scrypt$16384$8$1$AAAA$', `scrypt$${2 ** 30}$8$1$AAAA$AAAA`, 'scrypt$abc$8$1$AAAA$AAAA']) {
      expect(await verifyPassword('x', bad)).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });
});
