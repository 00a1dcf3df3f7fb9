import { constants } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { tlsGroups } from './tls-group.js';

/**
 * Mozilla's "intermediate" TLS profile (server side, v5.7): TLS 1.2 and 1.3 only; for TLS 1.2
 * ECDHE/DHE with AES-GCM or ChaCha20-Poly1305; the client's cipher preference honoured (every
 * offered cipher is strong). TLS 1.3 suites are OpenSSL's defaults, which are Mozilla's list. Key
 * exchange groups: the hybrid post-quantum X25519MLKEM768 first (OpenSSL 3.5+, as Node 24 has),
 * then Mozilla's X25519, P-256, P-384 — see model/tls-group.ts. No TLS 1.2 renegotiation: OpenSSL
 * refuses it itself (SSL_OP_NO_RENEGOTIATION), since Node's own limit (3 in 10 minutes) only works
 * for sockets of a tls.Server, and the mail listeners' STARTTLS sockets are not: without this a
 * client could renegotiate on them without end, a private-key operation each time (testssl.sh:
 * "Secure Client-Initiated Renegotiation VULNERABLE").
 */
export const INTERMEDIATE_PROFILE: SecureContextOptions = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
    'DHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: tlsGroups(process.versions.openssl),
  honorCipherOrder: false,
  secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
};

/** ALPN: HTTP/2 first, then HTTP/1.1, on every https binding. */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];
