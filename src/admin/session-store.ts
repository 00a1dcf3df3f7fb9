import { timingSafeEqual } from 'node:crypto';

// Console sessions and the log-in throttle live in the store (lifecycle/console-sessions.ts), so
// that every node of a farm sees the same ones.

/** Compares a CSRF token in constant time. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
