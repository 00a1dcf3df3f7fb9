/** Wraps DER in PEM armour, 64 base64 characters a line, as OpenSSL writes it. */
export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
