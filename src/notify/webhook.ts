import { createHmac } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import type { WebhookSettings } from '../model/notification.js';

/** How hard a webhook delivery tries: each attempt bounded by `timeoutMs`; waits double from `backoffMs`. */
export interface WebhookPolicy {
  attempts: number;
  timeoutMs: number;
  backoffMs: number;
}

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = { attempts: 3, timeoutMs: 10_000, backoffMs: 1_000 };

/** The `X-Gatehouse-Signature` of a body: `sha256=` and the hex HMAC-SHA256 of the exact bytes sent, keyed by the shared secret. */
export function webhookSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs `payload` as JSON to a webhook. A connection failure, a timeout, a 5xx or a 429 is tried
 * again (at most `attempts` times in all, waiting `backoffMs`, then twice that, …); any other
 * answer but 2xx fails at once. With a secret, every request carries `X-Gatehouse-Signature`.
 * Throws GH_NOTIFY_FAILED saying what the last attempt met.
 */
export async function sendWebhook(name: string, settings: WebhookSettings, secret: string | undefined, payload: unknown, policy: WebhookPolicy = DEFAULT_WEBHOOK_POLICY): Promise<void> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Gatehouse' };
  if (secret !== undefined) headers['x-gatehouse-signature'] = webhookSignature(secret, body);
  const kind = (payload as { kind?: unknown }).kind;
  if (typeof kind === 'string') headers['x-gatehouse-event'] = kind;
  let last = '';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let retry: boolean;
    try {
      const res = await fetch(settings.url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(policy.timeoutMs) });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return;
      last = `it answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      retry = res.status >= 500 || res.status === 429;
    } catch (e) {
      last = reason(e, policy.timeoutMs);
      retry = true;
    }
    if (!retry || attempt === policy.attempts) {
      throw fail('GH_NOTIFY_FAILED', `The webhook "${name}" (${origin(settings.url)}) did not take the notification: ${last}` +
        `${attempt > 1 ? ` (after ${attempt} attempts)` : ''}. Check that the URL is right and the receiver runs.`);
    }
    await new Promise((resolve) => setTimeout(resolve, policy.backoffMs * 2 ** (attempt - 1)));
  }
}

/** Only scheme, host and port: a webhook's path often carries a token of its own, which no message repeats. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

function reason(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = err.cause;
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused (nothing listens there)';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'its host name does not resolve';
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? err.message;
}
