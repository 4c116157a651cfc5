import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

/** scrypt cost of new hashes (OWASP guidance: N=2^17, r=8, p=1; 128 MiB and ~0.3 s per hash). */
export const SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
/** Highest cost a stored hash may ask for, so a forged hash cannot make verification allocate without bound. */
const MAX_N = 2 ** 20;

/** Memory scrypt needs for these parameters (128·N·r bytes) plus headroom; Node's default limit is 32 MiB. */
function maxmem(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

/** scrypt hash in the form `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = SCRYPT_COST): Promise<string> {
  const { N, r, p } = cost;
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N, r, p, maxmem: maxmem(N, r, p) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; hash: Buffer } | null {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return null;
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (![N, R, P].every(Number.isInteger) || N < 2 || N > MAX_N || R < 1 || R > 32 || P < 1 || P > 16) return null;
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || h.hash.length === 0) return false;
  const actual = await scrypt(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h.N, h.r, h.p) });
  return timingSafeEqual(h.hash, actual);
}

/** True when the stored hash was made with another cost than today's: re-hash it at the next successful login. */
export function needsRehash(stored: string, cost: { N: number; r: number; p: number } = SCRYPT_COST): boolean {
  const h = parse(stored);
  return !h || h.N !== cost.N || h.r !== cost.r || h.p !== cost.p;
}

/**
 * Compared against when the e-mail is unknown, so the answer takes as long as for a known user
 * (same cost, 32-byte hash).
 */
export const UNKNOWN_USER_HASH = `scrypt$${SCRYPT_COST.N}$${SCRYPT_COST.r}$${SCRYPT_COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}
