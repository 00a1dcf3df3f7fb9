// The friendly name given on the first page of the request wizard, kept in the browser until the
// request is completed or submitted: the API's pending requests have no friendly name of their own.
// Each entry is tied to the request's id, common name and creation time, so a name is never offered
// for another request that happens to get the same id later (a new data directory).
import type { PendingRequest } from './types.js';

const KEY = 'gatehouse.requestNames';

interface Entry {
  name: string;
  cn: string;
  created: string;
}

function load(): Record<string, Entry> {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, Entry>) : {};
  } catch {
    return {};
  }
}

function save(all: Record<string, Entry>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* storage full or refused: names are a convenience */
  }
}

export function rememberRequestName(request: PendingRequest, name: string): void {
  const all = load();
  all[String(request.id)] = { name, cn: request.cn, created: request.created };
  save(all);
}

export function requestName(request: PendingRequest): string | undefined {
  const e = load()[String(request.id)];
  return e && e.cn === request.cn && e.created === request.created ? e.name : undefined;
}

export function forgetRequestName(id: number): void {
  const all = load();
  delete all[String(id)];
  save(all);
}

/** Drops names of requests that are no longer pending (completed, submitted, cancelled). */
export function pruneRequestNames(pending: PendingRequest[]): void {
  const all = load();
  const live = new Set(pending.filter((r) => requestName(r) !== undefined).map((r) => String(r.id)));
  let changed = false;
  for (const id of Object.keys(all)) {
    if (!live.has(id)) {
      delete all[id];
      changed = true;
    }
  }
  if (changed) save(all);
}
