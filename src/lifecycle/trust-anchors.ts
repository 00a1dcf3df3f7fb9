import { X509Certificate as NodeX509 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { thumbprintOf } from '../pki/certificate-info.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';

/**
 * Where OpenSSL's default certificate file is on the common distributions (what `openssl verify`
 * trusts): Debian and Ubuntu, Fedora and RHEL, openSUSE, Alpine and others.
 */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/**
 * The system's trust store as DER, without duplicates: node's own reading of it where node has one
 * (`tls.getCACertificates('system')`, Node 22.15 and later: OpenSSL's default file and directory),
 * else OpenSSL's default bundle file, else — on a system without one — the roots bundled with node.
 */
export function systemRootCertificates(): Buffer[] {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  const fromNode = typeof get === 'function' ? get('system') : [];
  if (fromNode.length > 0) return unique(fromNode.map(pemBody));
  for (const file of SYSTEM_BUNDLES) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (pems.length > 0) return pems.map(pemBody);
  }
  return tls.rootCertificates.map(pemBody);
}

function unique(ders: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return ders.filter((d) => {
    const t = thumbprintOf(d);
    return seen.has(t) ? false : (seen.add(t), true);
  });
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|[^A-Za-z0-9+/=]/g, ''), 'base64');
}

/**
 * The roots a chain may end at and be trusted: the system's trust store, the Trusted Root
 * Certification Authorities store, and the internal CA. The system's part is read once per process
 * (the file changes with a package upgrade, not while we run); the store's part is read each time,
 * so a root added or removed counts at once, in every process.
 */
export class TrustAnchors {
  #system: { der: Buffer[]; thumbprints: Set<string> } | undefined;
  #parsed: NodeX509[] | undefined;

  constructor(
    private readonly store: GatehouseStore,
    private readonly systemRoots: () => Buffer[] = systemRootCertificates,
  ) {}

  /** A test for "is this root trusted now", reading the store at most once however often it is asked. */
  trusted(): (thumbprint: string) => boolean {
    let local: Set<string> | undefined;
    return (thumbprint) => {
      if (this.#systemPart().thumbprints.has(thumbprint)) return true;
      local ??= new Set(this.#localRoots().map(thumbprintOf));
      return local.has(thumbprint);
    };
  }

  /** Every trust anchor, parsed, for building paths. */
  anchors(): NodeX509[] {
    this.#parsed ??= this.#systemPart().der.flatMap((der) => {
      try {
        return [new NodeX509(der)];
      } catch {
        return [];
      }
    });
    return [...this.#parsed, ...this.#localRoots().map((der) => new NodeX509(der))];
  }

  #systemPart(): { der: Buffer[]; thumbprints: Set<string> } {
    if (!this.#system) {
      const der = this.systemRoots();
      this.#system = { der, thumbprints: new Set(der.map(thumbprintOf)) };
    }
    return this.#system;
  }

  /** The Trusted Root store and the internal CA. */
  #localRoots(): Buffer[] {
    const ca = this.store.ca.get();
    return [...this.store.certificates.rootStoreDer(), ...(ca ? [ca.der] : [])];
  }
}
