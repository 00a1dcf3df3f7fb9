import { type Binding, bindingKey, bindingText } from '../model/binding.js';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { CertificateSelector } from './certificate-selector.js';
import { type AffectedSite, reachedSites } from './reached-sites.js';
import { namesCover } from './host-match.js';
import type { CertificateSummary, ServingConfig } from './serving-config.js';

export type { AffectedSite } from './reached-sites.js';

export type BindingChange =
  | { op: 'add'; binding: Binding }
  | { op: 'edit'; binding: Binding }
  | { op: 'remove'; binding: Binding };

export interface BindingPlan {
  /** The whole binding list after the change. */
  bindings: Binding[];
  warnings: string[];
  affected: AffectedSite[];
}

const DAY_MS = 86_400_000;

/**
 * Checks a binding change against http.sys's rules and plans it: refusals throw a GatehouseError
 * that says why and what to do; warnings (a certificate that does not cover the host, or expires
 * soon) and the other sites whose clients would get another certificate are returned. Pure: the
 * configuration, the certificates and the clock are passed in.
 *
 * Editing the certificate of a binding without SNI changes the certificate of its whole endpoint
 * (IP:port), so every non-SNI binding there follows it — that is how http.sys works and what IIS
 * users lose sites to; the plan names them in `affected`.
 */
export function planBindingChange(
  config: ServingConfig,
  change: BindingChange,
  certificate: (thumbprint: string) => CertificateSummary | undefined,
  now: Date,
): BindingPlan {
  const b = change.binding;
  const others = config.bindings.filter((x) => bindingKey(x) !== bindingKey(b));
  const current = config.bindings.find((x) => bindingKey(x) === bindingKey(b));
  if (!config.sites.some((s) => s.name === b.site)) {
    throw fail('GH_SITE_NOT_FOUND', `There is no site "${b.site}". ${act('site-list')} shows the sites; ${act('site-add')} makes one.`);
  }
  let next: Binding[];
  if (change.op === 'remove') {
    if (!current || current.site !== b.site) throw notFound(b);
    next = others;
  } else {
    validateShape(b);
    if (change.op === 'add') {
      if (current) {
        throw fail('GH_BINDING_EXISTS', `The binding ${bindingText(b)} already exists${current.site === b.site ? ' on this site' : ` on site "${current.site}"`}; each (protocol, IP, port, host name) can be bound once on the server. Use another host name or port${current.site === b.site ? ', or "binding edit" to change its certificate' : ''}.`);
      }
      const clash = config.bindings.find((x) => x.port === b.port && x.protocol !== b.protocol && (x.ip === b.ip || x.ip === '*' || b.ip === '*'));
      if (clash) {
        throw fail('GH_PORT_PROTOCOL_CONFLICT', `Port ${b.port} already speaks ${clash.protocol} (${bindingText(clash)} on site "${clash.site}"); one port cannot serve both http and https. Choose another port.`);
      }
      next = [...config.bindings, b];
    } else {
      if (!current || current.site !== b.site) throw notFound(b);
      if (b.protocol !== 'https') throw fail('GH_BINDING_INVALID', 'Only https bindings carry a certificate to edit; an http binding has nothing to change. Remove it and add it again to move it.');
      next = config.bindings.map((x) => {
        if (bindingKey(x) === bindingKey(b)) return { ...x, certificate: b.certificate, sni: b.sni };
        // The endpoint's certificate is shared by all its bindings without SNI.
        if (!b.sni && !x.sni && x.protocol === 'https' && x.port === b.port && x.ip === b.ip) return { ...x, certificate: b.certificate };
        return x;
      });
    }
    if (b.protocol === 'https') {
      const cert = b.certificate ? certificate(b.certificate) : undefined;
      if (!cert) throw fail('GH_CERT_NOT_FOUND', `The certificate ${b.certificate ?? '(none)'} is not in the store. ${act('cert-list')} shows the certificates.`);
      if (!cert.hasPrivateKey) throw fail('GH_CERT_NO_KEY', `The certificate "${cert.friendlyName}" has no private key here, so it cannot serve TLS. Import it as a PFX with its key, or complete its request on this server.`);
      if (change.op === 'add' && !b.sni) {
        const holder = others.find((x) => x.protocol === 'https' && !x.sni && x.port === b.port && x.ip === b.ip && x.certificate !== b.certificate);
        if (holder) {
          const held = holder.certificate ? certificate(holder.certificate) : undefined;
          throw fail('GH_ENDPOINT_CERT_CONFLICT', `The endpoint ${b.ip === '*' ? '*' : b.ip}:${b.port} already has the certificate "${held?.friendlyName ?? holder.certificate}" from site "${holder.site}" (${bindingText(holder)}); without SNI an IP:port has one certificate. To add another certificate on this endpoint, give a host name with ${opt('host')} and require SNI with ${opt('sni')}.`);
        }
      }
    }
  }

  const warnings = change.op === 'remove' ? [] : certificateWarnings(b, certificate, now);
  const affected = reachedSites(config, { ...config, bindings: next }, new Set([b.site]));
  return { bindings: next, warnings, affected };
}

function validateShape(b: Binding): void {
  if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) {
    throw fail('GH_PORT_INVALID', `The port ${b.port} is not valid; use a number from 1 to 65535 (443 for https, 80 for http).`);
  }
  if (b.sni && b.host === '') {
    throw fail('GH_BINDING_SNI_NEEDS_HOST', `Require Server Name Indication needs a host name: give ${opt('host')} with ${opt('sni')} (SNI selects the certificate by the name the client asks for).`);
  }
  if (b.protocol === 'http' && (b.sni || b.certificate)) {
    throw fail('GH_BINDING_INVALID', `An http binding has no certificate and no SNI; use ${opt('protocol-https')} for those.`);
  }
  if (b.protocol === 'https' && !b.certificate) {
    throw fail('GH_BINDING_CERT_REQUIRED', `An https binding needs a certificate: give ${opt('cert')} with a thumbprint or friendly name (${act('cert-list')} shows them).`);
  }
}

function notFound(b: Binding): Error {
  return fail('GH_BINDING_NOT_FOUND', `Site "${b.site}" has no binding ${bindingText(b)}. ${act('binding-list', b.site)} shows its bindings.`);
}

function certificateWarnings(b: Binding, certificate: (t: string) => CertificateSummary | undefined, now: Date): string[] {
  if (b.protocol !== 'https' || !b.certificate) return [];
  const cert = certificate(b.certificate);
  if (!cert) return [];
  const out: string[] = [];
  if (b.host !== '' && !namesCover(cert.sans, b.host)) {
    out.push(`the certificate "${cert.friendlyName}" does not cover ${b.host} (it covers ${cert.sans.join(', ') || 'no names'}): browsers will show a name mismatch`);
  }
  const left = Date.parse(cert.notAfter) - now.getTime();
  if (left <= 0) out.push(`the certificate "${cert.friendlyName}" expired on ${cert.notAfter.slice(0, 10)}: clients will refuse it`);
  else if (left <= 30 * DAY_MS) out.push(`the certificate "${cert.friendlyName}" expires on ${cert.notAfter.slice(0, 10)}, within 30 days`);
  return out;
}

