// Modal dialogs on the native <dialog>: a title, a form body, a role="alert" region for refusals
// and warnings, and a row of buttons. Focus moves into the dialog when it opens and back to what
// opened it when it closes; Escape closes it (the browser's cancel). A dialog knows whether the
// user has typed or chosen something in it (`changed`), so that history navigation can ask before
// discarding that.
import { InputProblem, messageOf } from './api.js';
import { append, button, h, replace, uid, type Children } from './dom.js';

export interface DialogOptions {
  /** Extra class on the <dialog> (its width). */
  className?: string;
  /** Runs when the form is submitted (Enter in a field, or the primary button). */
  onSubmit?: () => void | Promise<void>;
  /** Runs once the dialog has closed, however it closed. */
  onClose?: () => void;
}

const DIALOGS = new WeakMap<Element, Dialog>();

export class Dialog {
  readonly el: HTMLDialogElement;
  readonly form: HTMLFormElement;
  readonly body: HTMLDivElement;
  readonly messages: HTMLDivElement;
  readonly content: HTMLDivElement;
  readonly footer: HTMLDivElement;
  readonly titleEl: HTMLHeadingElement;
  #busy = false;
  #opener: Element | null = null;
  #changed = false;
  #tracking = true;

  constructor(title: string, readonly options: DialogOptions = {}) {
    const titleId = uid('dlg-title');
    this.titleEl = h('h2', { id: titleId, class: 'dialog-title' }, title);
    this.body = h('div', { class: 'dialog-body' });
    this.messages = h('div', { class: 'dialog-messages' });
    this.footer = h('div', { class: 'dialog-buttons' });
    // The body and the messages scroll together between the title and the buttons, which stay in
    // view however short the window and however long a refusal.
    this.content = h('div', { class: 'dialog-content' }, this.body, this.messages);
    this.form = h('form', { novalidate: true }, this.titleEl, this.content, this.footer);
    this.el = h('dialog', { 'aria-labelledby': titleId, class: `dialog ${options.className ?? ''}`.trim() }, this.form);
    DIALOGS.set(this.el, this);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!this.#busy && this.options.onSubmit) void this.run(this.options.onSubmit);
    });
    // What the user types or chooses (a field, a check box, a file) is a change until it is saved.
    for (const type of ['input', 'change']) {
      this.form.addEventListener(type, (e) => {
        if (this.#tracking) this.#changed = true;
      });
    }
    this.footer.addEventListener('click', (e) => {
      if ((e.target as Element).closest('button[data-held]')) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    }, true);
    this.el.addEventListener('cancel', (e) => {
      if (this.#busy) e.preventDefault();
    });
    // Content taller than the window (a short window, a long report or refusal) scrolls; it takes
    // the keyboard (Tab, then the arrows) so that text with no control in it can be read to the end.
    const overflow = () => {
      const scrolls = this.content.scrollHeight > this.content.clientHeight + 1;
      if (scrolls === (this.content.getAttribute('tabindex') === '0')) return;
      for (const [name, value] of [['tabindex', '0'], ['role', 'group'], ['aria-labelledby', titleId]] as const) {
        if (scrolls) this.content.setAttribute(name, value);
        else this.content.removeAttribute(name);
      }
    };
    const resized = new ResizeObserver(overflow);
    const mutated = new MutationObserver(overflow);
    resized.observe(this.content);
    mutated.observe(this.content, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['hidden', 'class'] });
    this.el.addEventListener('close', () => {
      resized.disconnect();
      mutated.disconnect();
      this.el.remove();
      this.options.onClose?.();
      restoreFocus(this.#opener);
    });
  }

  /** The title, as the dialog shows it. */
  get title(): string {
    return this.titleEl.textContent ?? '';
  }

  /** Whether the user has typed or chosen something here that is not saved (closing would lose it). */
  get changed(): boolean {
    return this.#changed;
  }

  /** What was typed is saved (the wizard created its request): what follows in the dialog is not an edit to lose. */
  saved(): void {
    this.#changed = false;
    this.#tracking = false;
  }

  setTitle(title: string): void {
    this.titleEl.textContent = title;
  }

  /** Shows the dialog modally and moves focus to `focus`, else its first field. */
  open(focus?: HTMLElement): this {
    this.#opener = document.activeElement;
    document.body.append(this.el);
    this.el.showModal();
    this.focus(focus);
    return this;
  }

  focus(target?: HTMLElement): void {
    const first = target ?? this.body.querySelector<HTMLElement>('input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea, button:not([disabled])') ?? this.footer.querySelector<HTMLElement>('button');
    first?.focus();
  }

  close(): void {
    if (this.el.open) this.el.close();
  }

  get isOpen(): boolean {
    return this.el.open;
  }

  /** The buttons row: `primary` is the submit button (Enter); the others run their own handlers. */
  setButtons(...buttons: HTMLButtonElement[]): void {
    replace(this.footer, ...buttons);
  }

  submitButton(label: string): HTMLButtonElement {
    return h('button', { type: 'submit', class: 'primary' }, label);
  }

  cancelButton(label = 'Cancel'): HTMLButtonElement {
    return button(label, () => this.close());
  }

  clearMessages(): void {
    this.messages.replaceChildren();
  }

  /** A refusal or a failure: the API's detail in plain words, in a role="alert" region, plus optional buttons (Apply anyway). */
  showError(message: string, ...extra: Children): HTMLDivElement {
    return this.#message('error', [h('p', null, message), ...extra]);
  }

  /** Warnings the API answered with a change it made. */
  showWarnings(intro: string, warnings: string[]): HTMLDivElement {
    return this.#message('warning', [h('p', null, intro), h('ul', null, ...warnings.map((w) => h('li', null, sentence(w))))]);
  }

  /** A success message (role="status"); `focus`: the keyboard goes to it (the control that had it is gone or greyed out). */
  showNotice(message: string, focus = false): HTMLDivElement {
    const el = h('div', { role: 'status', class: 'message notice', tabindex: focus ? '-1' : null }, h('p', null, message));
    replace(this.messages, el);
    if (focus) el.focus();
    return el;
  }

  #message(kind: string, children: Children): HTMLDivElement {
    const el = h('div', { role: 'alert', class: `message ${kind}` });
    append(el, children);
    replace(this.messages, el);
    return el;
  }

  /** Runs an API call with the dialog's buttons held; a failure is shown in the alert region. */
  async run(task: () => void | Promise<void>): Promise<boolean> {
    const had = document.activeElement;
    this.clearMessages();
    for (const c of this.body.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    this.setBusy(true);
    try {
      await task();
      return true;
    } catch (e) {
      if (this.el.isConnected) this.showError(messageOf(e));
      if (e instanceof InputProblem && e.control) {
        e.control.setAttribute('aria-invalid', 'true');
        e.control.focus();
      }
      return false;
    } finally {
      this.setBusy(false);
      this.#keepFocus(had);
    }
  }

  /**
   * The buttons held while a call runs drop the focus (a disabled button cannot keep it): it goes
   * back to what had it, else to the message, else to the dialog's first field — never <body>.
   */
  #keepFocus(had: Element | null): void {
    if (!this.el.open) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    if (had instanceof HTMLElement && had.isConnected && !(had as HTMLButtonElement).disabled && this.el.contains(had)) {
      had.focus();
      return;
    }
    const message = this.messages.querySelector<HTMLElement>('.message');
    if (message) {
      message.tabIndex = -1;
      message.focus();
    } else {
      this.focus();
    }
  }

  /**
   * While a call runs the buttons are held: aria-disabled (not disabled, which would drop the focus
   * of the button just pressed to <body>), and a click on them does nothing.
   */
  setBusy(busy: boolean): void {
    this.#busy = busy;
    if (busy) this.el.setAttribute('aria-busy', 'true');
    else this.el.removeAttribute('aria-busy');
    for (const b of this.footer.querySelectorAll('button')) {
      if (busy) {
        if (!b.disabled && !b.dataset.held) {
          b.dataset.held = '1';
          b.setAttribute('aria-disabled', 'true');
        }
      } else if (b.dataset.held) {
        delete b.dataset.held;
        b.removeAttribute('aria-disabled');
      }
    }
  }
}

/** Asks a yes/no question in a small dialog; resolves to the answer. */
export function confirmDialog(title: string, message: string | Children, yes: string, no = 'Cancel'): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const d = new Dialog(title, {
      className: 'small',
      onSubmit: () => {
        answer = true;
        d.close();
      },
      onClose: () => resolve(answer),
    });
    append(d.body, typeof message === 'string' ? [h('p', null, message)] : message);
    const yesButton = d.submitButton(yes);
    d.setButtons(yesButton, d.cancelButton(no));
    d.open(yesButton);
  });
}

/** Ends an API message with a full stop (warnings arrive as clauses). */
export function sentence(text: string): string {
  const t = text.trim();
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** Focus back to what opened a dialog; if the page was redrawn meanwhile, to the same action, else the page's heading. */
function restoreFocus(opener: Element | null): void {
  if (opener instanceof HTMLElement && opener.isConnected && !(opener as HTMLButtonElement).disabled) {
    opener.focus();
    return;
  }
  const action = opener instanceof HTMLElement ? opener.dataset.action : undefined;
  const again = action ? document.querySelector<HTMLButtonElement>(`[data-action="${CSS.escape(action)}"]:not(:disabled)`) : null;
  (again ?? document.querySelector<HTMLElement>('main h1'))?.focus();
}

/** The open dialogs, the one on top last. */
export function openDialogs(): Dialog[] {
  return [...document.querySelectorAll('dialog[open]')].map((el) => DIALOGS.get(el)).filter((d): d is Dialog => d !== undefined);
}

export function closeAllDialogs(): void {
  for (const d of document.querySelectorAll('dialog')) {
    if (d.open) d.close();
    d.remove();
  }
}
