// The Country/region field of the request wizard: a country's name or its ISO 3166-1 alpha-2 code,
// never a truncation ("Germany" cut to two letters is GE, Georgia). The names come from the
// browser (Intl.DisplayNames); the API checks the code against the assigned list and refuses the rest.
import { h, uid } from './dom.js';

/** Region codes the browser names that are not assigned ISO 3166-1 country codes (reserved, withdrawn, private use). */
const NOT_ISO = new Set('AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB XK YD YU ZR ZZ'.split(' '));

export interface Country {
  code: string;
  name: string;
}

let countries: Country[] | undefined;

/** Every assigned country code the browser has a name for, sorted by name. */
export function allCountries(): Country[] {
  if (!countries) {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const list: Country[] = [];
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = NOT_ISO.has(code) ? undefined : names.of(code);
        if (name) list.push({ code, name });
      }
    }
    countries = list.sort((x, y) => x.name.localeCompare(y.name));
  }
  return countries;
}

/**
 * The code for what was typed: a code (de), a name (Germany), or a choice from the list
 * ("Germany (DE)"). '' for nothing typed; undefined when it is none of those.
 */
export function countryCode(typed: string): string | undefined {
  const t = typed.trim();
  if (!t) return '';
  const inParens = /\(([A-Za-z]{2})\)$/.exec(t);
  const code = (inParens?.[1] ?? (/^[A-Za-z]{2}$/.test(t) ? t : '')).toUpperCase();
  const all = allCountries();
  if (code) return all.some((c) => c.code === code) ? code : undefined;
  return all.find((c) => c.name.toLowerCase() === t.toLowerCase())?.code;
}

export function countryName(code: string): string | undefined {
  return allCountries().find((c) => c.code === code)?.name;
}

/** A text field with the countries as suggestions (the datalist goes beside it, in the same form). */
export function countryInput(): { input: HTMLInputElement; list: HTMLDataListElement } {
  const list = h('datalist', { id: uid('countries') }, ...allCountries().map((c) => h('option', { value: `${c.name} (${c.code})` })));
  const input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', list: list.id, maxlength: '80' });
  return { input, list };
}
