// Choosing a certificate where 100,000 may be installed (the Add/Edit Site Binding dialog, Assign
// Services to Certificate): a search box that asks the API for the certificates whose name contains
// what is typed (debounced), and a plain <select> of the first PICK_SIZE of them — the keyboard and
// screen readers use it as every other list box of the console. The certificate chosen stays in
// the list while the search changes. Nothing here asks for every certificate.
import type { Ctx } from './context.js';
import { field, h, input, select } from './dom.js';
import { certificateOption } from './status.js';
import type { Binding, Certificate } from './types.js';

/** How many certificates the picker lists for one search. */
export const PICK_SIZE = 50;
const SEARCH_DELAY_MS = 300;

export interface CertificatePicker {
  /** The search box with its label, to put above the list. */
  readonly searchField: HTMLElement;
  readonly search: HTMLInputElement;
  readonly select: HTMLSelectElement;
  /** Says how many match (a live region): put it in the list's hint. */
  readonly found: HTMLElement;
  /** The certificate chosen, if any. */
  chosen(): Certificate | undefined;
  /** How many certificates the last search found that can be chosen (what the list offers). */
  offered(): number;
  /** Settles once the first list has arrived. */
  readonly ready: Promise<void>;
}

export interface PickerOptions {
  /** The certificate chosen at first (an existing binding's). */
  current?: Certificate | undefined;
  /** Which certificates the list offers (others are not listed). */
  offer: (c: Certificate) => boolean;
  /** The first option's words ("Not selected"). */
  none: string;
  /** Chooses the only certificate offered when the first list holds just one. */
  pickOnly?: boolean;
  /** After a choice, and after each search's list arrives. */
  onChange: () => void;
}

/** Thumbprint → the name to show: the friendly name, with the start of the thumbprint when two share it. */
export function certificateNames(certs: Certificate[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const c of certs) count.set(c.friendlyName, (count.get(c.friendlyName) ?? 0) + 1);
  return new Map(certs.map((c) => [c.thumbprint, (count.get(c.friendlyName) ?? 0) > 1 ? `${c.friendlyName} (${c.thumbprint.slice(0, 8)})` : c.friendlyName]));
}

export function certificatePicker(ctx: Ctx, options: PickerOptions): CertificatePicker {
  const known = new Map<string, Certificate>();
  if (options.current) known.set(options.current.thumbprint, options.current);
  const search = input({ type: 'search', maxlength: '256', placeholder: 'contoso', class: 'picker-search' });
  const list = select([{ value: '', label: options.none }, ...(options.current ? [certificateOption(options.current, options.current.friendlyName)] : [])], options.current?.thumbprint ?? '');
  const found = h('span', { class: 'picker-found', 'aria-live': 'polite' });
  const searchField = field('Search certificates by name', search, 'A part of the friendly name, the name issued to or a name (SAN); the list below shows what matches.');
  let offered: Certificate[] = [];
  let token = 0;
  let first = true;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fill = (certs: Certificate[], total: number, q: string) => {
    const value = list.value;
    offered = certs.filter(options.offer).sort((a, b) => a.friendlyName.localeCompare(b.friendlyName));
    const chosen = value ? known.get(value) : undefined;
    const shown = chosen && !offered.some((c) => c.thumbprint === chosen.thumbprint) ? [chosen, ...offered] : offered;
    const names = certificateNames(shown);
    list.replaceChildren(...select([{ value: '', label: options.none }, ...shown.map((c) => certificateOption(c, names.get(c.thumbprint) ?? c.friendlyName))]).options);
    list.value = value;
    const match = q ? ` matching “${q}”` : '';
    found.textContent = total === 0 ? `No certificate${match}.`
      : total > certs.length ? `${total.toLocaleString('en-US')} certificates${match}: the first ${certs.length} are listed; type more of the name to find others.`
        : `${total} certificate${total === 1 ? '' : 's'}${match}.`;
  };

  const run = async (): Promise<void> => {
    const mine = ++token;
    const q = search.value.trim();
    const params = new URLSearchParams({ limit: String(PICK_SIZE) });
    if (q) params.set('name', q);
    const page = await ctx.api.page<Certificate>(`/certificates?${params.toString()}`);
    if (mine !== token) return;
    for (const c of page.items) known.set(c.thumbprint, c);
    fill(page.items, page.total, q);
    if (first && options.pickOnly && offered.length === 1 && list.value === '') list.value = offered[0]!.thumbprint;
    first = false;
    options.onChange();
  };

  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run().catch((e) => ctx.fail(e)), SEARCH_DELAY_MS);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    // Enter searches now (it does not submit the dialog).
    e.preventDefault();
    clearTimeout(timer);
    void run().catch((err) => ctx.fail(err));
  });
  list.addEventListener('change', () => options.onChange());

  return {
    searchField, search, select: list, found,
    chosen: () => (list.value ? known.get(list.value) : undefined),
    offered: () => offered.length,
    ready: run(),
  };
}

/** The certificates some bindings use (each asked for by thumbprint; one gone since is left out). */
export async function certificatesOf(ctx: Ctx, bindings: Binding[]): Promise<Certificate[]> {
  const thumbprints = [...new Set(bindings.flatMap((b) => (b.certificate ? [b.certificate] : [])))];
  const certs = await Promise.all(thumbprints.map((t) => ctx.api.get<Certificate>(`/certificates/${encodeURIComponent(t)}`).catch(() => undefined)));
  return certs.filter((c): c is Certificate => c !== undefined);
}
