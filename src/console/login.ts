// The log-in form: user, password, "Log in". A wrong password shows the API's message; a throttled
// log-in says how long to wait.
import { ApiError, messageOf, type Api } from './api.js';
import { field, h, input, replace } from './dom.js';
import type { SessionInfo } from './types.js';

export function showLogin(root: HTMLElement, api: Api, message: string | undefined, onSignedIn: (s: SessionInfo) => void): void {
  document.title = 'Log in – Gatehouse Manager';
  const user = input({ name: 'user', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = input({ type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const messages = h('div', { class: 'login-messages' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  let timer: ReturnType<typeof setInterval> | undefined;

  const show = (text: string, role: 'alert' | 'status' = 'alert') => replace(messages, h('div', { role, class: role === 'alert' ? 'message error' : 'message notice' }, text));

  const form = h('form', {
    class: 'login-form',
    novalidate: true,
    'aria-labelledby': 'login-title',
    onsubmit: async (e: SubmitEvent) => {
      e.preventDefault();
      if (!user.value.trim() || !password.value) {
        show('Enter your user name and password.');
        (user.value.trim() ? password : user).focus();
        return;
      }
      submit.disabled = true;
      form.setAttribute('aria-busy', 'true');
      try {
        const s = await api.post<SessionInfo>('/session', { user: user.value.trim(), password: password.value });
        onSignedIn(s);
      } catch (err) {
        password.value = '';
        if (err instanceof ApiError && err.status === 429) {
          throttled(err.retryAfter ?? secondsIn(err.message));
        } else {
          show(messageOf(err));
          submit.disabled = false;
        }
        password.focus();
      } finally {
        form.removeAttribute('aria-busy');
      }
    },
  },
  h('h1', { id: 'login-title' }, 'Gatehouse Manager'),
  h('p', { class: 'login-intro' }, 'Log in to manage this server\'s certificates, sites and bindings.'),
  message ? h('div', { role: 'status', class: 'message notice' }, message) : null,
  field('User name', user),
  field('Password', password),
  messages,
  h('div', { class: 'login-buttons' }, submit));

  /** Too many failed log-ins: the message says how long once; the button counts down and waits. */
  function throttled(seconds: number): void {
    let left = Math.max(1, Math.ceil(seconds));
    submit.disabled = true;
    show(`Too many failed log-ins. Try again in ${left} seconds.`);
    const tick = () => {
      if (left <= 0) {
        clearInterval(timer);
        submit.disabled = false;
        submit.textContent = 'Log in';
      } else {
        submit.textContent = `Log in (wait ${left} s)`;
      }
      left -= 1;
    };
    clearInterval(timer);
    tick();
    timer = setInterval(tick, 1000);
  }

  replace(root, h('div', { class: 'login-page' }, h('main', { class: 'login-box' }, form)));
  user.focus();
}

function secondsIn(text: string): number {
  const m = /(\d+) seconds?/.exec(text);
  return m ? Number(m[1]) : 60;
}
