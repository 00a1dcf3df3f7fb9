import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt with N = 2^15, r = 8, p = 1: ~32 MiB and tens of milliseconds per guess (OWASP's floor is 2^17 with r=8 p=1 or 2^15 for interactive). */
const COST = { log2N: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes a password for storage: `scrypt$log2N$r$p$salt$hash` (base64url), so the cost can rise
 * later without invalidating stored hashes. Runs on libuv's thread pool, off the event loop.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST.log2N, COST.r, COST.p);
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches `stored`; a malformed stored hash never matches. Constant time in the comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, hash, ...rest] = stored.split('$');
  const cost = [Number(log2N), Number(r), Number(p)] as const;
  const sane = cost.every(Number.isInteger) && cost[0] >= 10 && cost[0] <= 20 && cost[1] >= 1 && cost[1] <= 32 && cost[2] >= 1 && cost[2] <= 16;
  if (scheme !== 'scrypt' || !sane || !salt || !hash || rest.length > 0) return false;
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  try {
    const key = await derive(password, Buffer.from(salt, 'base64url'), ...cost);
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so that answer takes as long as a wrong password. */
export const DECOY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** API tokens carry 256 random bits, so one SHA-256 is enough to store them (nothing to brute-force). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new API token: `gh_` + its public id + `_` + 64 hex digits of secret (hex: one word to double-click, one `_` per separator). The id is what lists show. */
export function newToken(): { id: string; token: string } {
  const id = randomBytes(6).toString('hex');
  return { id, token: `gh_${id}_${randomBytes(32).toString('hex')}` };
}
