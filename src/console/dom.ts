// Small helpers for building the console's elements with DOM APIs (no framework, no innerHTML).

export type Child = Node | string | number | null | undefined | false;
export type Children = Array<Child | Child[]>;

/** Properties set as DOM properties rather than attributes. */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'required', 'readOnly', 'multiple', 'indeterminate', 'defaultValue']);

export type Props = Record<string, unknown>;

/**
 * `h('button', { class: 'primary', onclick: run }, 'OK')`: an element with attributes, properties
 * (value, checked, disabled, …), event listeners (`on` + event name) and children (text or nodes).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Children): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) {
        if (PROPERTIES.has(key) && value === false) (el as unknown as Record<string, unknown>)[key] = false;
        continue;
      }
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value as EventListener);
      } else if (PROPERTIES.has(key)) {
        (el as unknown as Record<string, unknown>)[key] = value;
      } else if (key === 'class') {
        el.className = String(value);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Children): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Children): void {
  parent.replaceChildren();
  append(parent, children);
}

let counter = 0;
/** A document-unique id for label/control and aria pairs. */
export function uid(prefix = 'gh'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * A labelled form row: `<label for>` and the control, with an optional hint tied to the control by
 * aria-describedby (the IIS guide's advice beside a field, for example).
 */
export function field(label: string, control: Control, hint?: Child | Child[]): HTMLDivElement {
  if (!control.id) control.id = uid('f');
  // A check box or a radio button sits on the line of its label, before it.
  const beside = control instanceof HTMLInputElement && (control.type === 'checkbox' || control.type === 'radio');
  const row = h('div', { class: beside ? 'field check' : 'field' });
  const lab = h('label', { for: control.id }, label);
  let hintEl: HTMLElement | null = null;
  if (hint !== undefined) {
    hintEl = h('p', { class: 'hint', id: uid('hint') }, ...(Array.isArray(hint) ? hint : [hint]));
    control.setAttribute('aria-describedby', hintEl.id);
  }
  if (beside) append(row, [control, lab, hintEl]);
  else append(row, [lab, control, hintEl]);
  return row;
}

/** Text with a line-break opportunity after each dot, so host names wrap at their labels in narrow columns. */
export function breakable(text: string): Child[] {
  return text.split(/(?<=\.)(?=.)/).flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), part]));
}

export function input(props: Props = {}): HTMLInputElement {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...props });
}

export function checkbox(checked = false, props: Props = {}): HTMLInputElement {
  return h('input', { type: 'checkbox', checked, ...props });
}

export function select(options: Array<{ value: string; label: string; disabled?: boolean }>, value?: string, props: Props = {}): HTMLSelectElement {
  const s = h('select', props, ...options.map((o) => h('option', { value: o.value, disabled: o.disabled ?? false }, o.label)));
  if (value !== undefined) s.value = value;
  return s;
}

export function button(label: string, onclick: (e: MouseEvent) => void, props: Props = {}): HTMLButtonElement {
  return h('button', { type: 'button', onclick, ...props }, label);
}

/** `2027-11-20` from an ISO time (UTC, as the CLI prints it). */
export function isoDay(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/** `2027-11-20 14:03` from an ISO time (UTC). */
export function isoMinute(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '';
}

/** Whole days from now until an ISO time (negative once past). */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.floor((Date.parse(iso) - now) / 86_400_000);
}

export const STORE_LABELS: Record<string, string> = { webhosting: 'Web Hosting', personal: 'Personal', root: 'Trusted Root Certification Authorities' };

export function storeLabel(store: string): string {
  return STORE_LABELS[store] ?? store;
}

/** Bytes as base64, for files sent in JSON (`file`, `keyFile`). */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export async function fileBase64(file: File): Promise<string> {
  return toBase64(new Uint8Array(await file.arrayBuffer()));
}

/** Hands a file to the browser as a download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Puts text on the clipboard. Where the browser refuses the Clipboard API, copies through a
 * selected text field: `area` (which stays selected, so the user can copy it by hand), else a hidden one.
 */
export async function copyText(text: string, area?: HTMLTextAreaElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    /* refused: copy a selection instead */
  }
  const had = document.activeElement as HTMLElement | null;
  const box = area ?? h('textarea', { class: 'offscreen', readOnly: true, tabindex: '-1', 'aria-hidden': 'true' });
  if (!area) {
    box.value = text;
    (had?.closest('dialog') ?? document.body).append(box);
  }
  box.focus();
  box.select();
  const copied = document.execCommand('copy');
  if (!area) {
    box.remove();
    had?.focus();
  }
  if (!copied) throw new Error('copy refused');
}
