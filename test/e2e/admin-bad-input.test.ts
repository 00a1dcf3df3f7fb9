// End-to-end: bad input to the admin API. Each answer is a problem document (application/problem+json,
// a stable code, a detail sentence, no stack trace) and nothing changed in the store. Then the
// defences of the console's sessions: CSRF tokens, log-in throttling, log-out, revoked tokens,
// sessions ending when an account changes, and the last administrator who cannot go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dataDir, freePorts, gh, ghAsync, ghFail, ghJson, join, openssl, tmpDir, TestPki } from '../support/cli.js';
import {
  AdminServer, addUser, adminSnapshot, assertProblem, createToken, passwordFileFor, PASSWORD, type AdminSnapshot, type ApiResponse, type CallOptions,
} from '../support/admin.js';
import { damagedRsaKey, withDamagedPublicKey, withOverlongAkiInteger } from '../support/damage.js';

// ---------------------------------------------------------------------------------------------
// A table of bad requests against one server.

interface Case {
  name: string;
  method: string;
  path: string;
  options?: CallOptions | (() => CallOptions);
  /** Without the organization-management token (the case brings its own credentials, or none). */
  anonymous?: boolean;
  status: number;
  code: string;
  detail?: RegExp;
  /** A path in problem.errors[] (schema failures). */
  errorPath?: string;
  /** The detail when the console asks for its wording (X-Gatehouse-Wording: console). */
  consoleDetail?: RegExp;
}

const JSON_TYPE = { 'content-type': 'application/json' };
let pki: TestPki;
let data: string;
let admin: AdminServer;
let token: string;
let pfxBase64: string;
let leafCertBase64: string;
let encryptedKeyBase64: string;
/** Issue #10, findings 6 and 7: a damaged RSA key with its certificate, the same in a PFX, certificates that do not decode. */
const damaged = { rsaCert: '', rsaKey: '', rsaPfx: '', spki: '', aki: '' };
let port: number;
let spare: number;
let first: AdminSnapshot;
let last: AuditAndRevision;

/**
 * What every change writes: a record in the audit log and a new revision, in the same transaction
 * (ARCHITECTURE.md). Compared around each case; the whole snapshot (certificates, requests, CA,
 * sites, bindings, users, tokens) is compared around the table.
 */
interface AuditAndRevision { audit: string; revision: string }
async function auditAndRevision(d: string): Promise<AuditAndRevision> {
  const [audit, serve] = await Promise.all([ghAsync(d, ['audit', '--json']), ghAsync(d, ['serve', '--once', '--json'])]);
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(serve.code, 0, serve.stderr);
  return { audit: audit.stdout, revision: String((JSON.parse(serve.stdout) as { revision: number }).revision) };
}

before(async () => {
  pki = TestPki.create();
  data = dataDir();
  addUser(data, 'alice', 'organization-management');
  token = createToken(data, 'alice');
  ghJson(data, ['site', 'add', 'Contoso', '--root', tmpDir('gh-www-')]);
  ghJson(data, ['cert', 'self-signed', '--cn', 'www.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', 'Contoso self-signed']);
  ghJson(data, ['cert', 'self-signed', '--cn', 'export.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', 'Exportable', '--exportable']);
  const leaf = pki.leaf('pfx.contoso.com');
  const pfx = join(tmpDir('gh-pfx-'), 'leaf.pfx');
  openssl(['pkcs12', '-export', '-in', leaf.cert, '-inkey', leaf.key, '-passout', 'pass:the right password', '-out', pfx]);
  pfxBase64 = readFileSync(pfx).toString('base64');
  leafCertBase64 = readFileSync(leaf.cert).toString('base64');
  const encryptedKey = join(tmpDir('gh-key-'), 'leaf.key');
  openssl(['pkey', '-in', leaf.key, '-aes256', '-passout', 'pass:the key password', '-out', encryptedKey]);
  encryptedKeyBase64 = readFileSync(encryptedKey).toString('base64');
  const rsa = pki.leaf('rsa.contoso.com', { ec: false });
  const badKey = join(tmpDir('gh-key-'), 'damaged.key');
  writeFileSync(badKey, damagedRsaKey(readFileSync(rsa.key, 'utf8'), 'dq'));
  const badPfx = join(tmpDir('gh-pfx-'), 'damaged.pfx');
  openssl(['pkcs12', '-export', '-in', rsa.cert, '-inkey', badKey, '-passout', 'pass:the right password', '-out', badPfx]);
  damaged.rsaCert = readFileSync(rsa.cert).toString('base64');
  damaged.rsaKey = readFileSync(badKey).toString('base64');
  damaged.rsaPfx = readFileSync(badPfx).toString('base64');
  damaged.spki = Buffer.from(withDamagedPublicKey(readFileSync(leaf.cert, 'utf8'))).toString('base64');
  damaged.aki = Buffer.from(withOverlongAkiInteger(readFileSync(leaf.cert, 'utf8'))).toString('base64');
  // A shared endpoint: Contoso without a host name, Fabrikam with one but without SNI, one certificate.
  [port, spare] = (await freePorts(2)) as [number, number];
  ghJson(data, ['site', 'add', 'Fabrikam', '--root', tmpDir('gh-www-')]);
  ghJson(data, ['binding', 'add', 'Contoso', '--protocol', 'https', '--port', String(port), '--cert', 'Contoso self-signed']);
  ghJson(data, ['binding', 'add', 'Fabrikam', '--protocol', 'https', '--port', String(port), '--host', 'www.fabrikam.com', '--cert', 'Contoso self-signed']);
  admin = await AdminServer.start(data);
  first = await adminSnapshot(data);
  last = await auditAndRevision(data);
}, { timeout: 120_000 });

after(async () => {
  await admin?.stop();
});

const cases: Case[] = [
  // The body is not JSON, or not the JSON object the route takes.
  { name: 'malformed JSON', method: 'POST', path: '/requests', options: { raw: '{"cn": "www.contoso.com",', headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /^The request body is not valid JSON\.$/ },
  { name: 'JSON with single quotes', method: 'POST', path: '/sites', options: { raw: "{'name': 'x'}", headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /not valid JSON/ },
  { name: 'an empty JSON body', method: 'POST', path: '/requests', options: { raw: '', headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a JSON array', method: 'POST', path: '/requests', options: { raw: '[{"cn":"www.contoso.com"}]', headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body' },
  { name: 'JSON null', method: 'POST', path: '/sites', options: { raw: 'null', headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a __proto__ key', method: 'POST', path: '/requests', options: { raw: '{"cn":"www.contoso.com","__proto__":{"admin":true}}', headers: JSON_TYPE }, status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  // Wrong types: no coercion.
  { name: 'port "443" as a string', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'https', port: '443', cert: 'Contoso self-signed' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.port' },
  { name: 'port 443.5', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'http', port: 443.5 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.port' },
  { name: 'san as a string', method: 'POST', path: '/requests', options: { body: { cn: 'www.contoso.com', san: 'owa.contoso.com' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.san' },
  { name: 'sni as "yes"', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'https', port: 443, host: 'www.contoso.com', sni: 'yes', cert: 'Contoso self-signed' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.sni' },
  { name: 'exportable as 1', method: 'POST', path: '/requests', options: { body: { cn: 'www.contoso.com', exportable: 1 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.exportable' },
  { name: 'a number for a name', method: 'PATCH', path: `/certificates/${'X'}`, options: { body: { friendlyName: 42 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.friendlyName' },
  // Unknown and missing fields, values out of range.
  { name: 'an unknown field', method: 'POST', path: '/requests', options: { body: { cn: 'www.contoso.com', colour: 'blue' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /unknown field "colour"/ },
  { name: 'a misspelt field', method: 'POST', path: '/sites', options: { body: { name: 'Fabrikam', rooot: '/srv' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /unknown field "rooot"/ },
  { name: 'a missing required field', method: 'POST', path: '/requests', options: { body: { org: 'Contoso' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /needs the field "cn"/ },
  { name: 'a binding without a port', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'https' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /needs the field "port"/ },
  { name: 'a protocol that is not http or https', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'ftp', port: 21 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.protocol' },
  { name: 'port 70000', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'http', port: 70000 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.port' },
  { name: 'port 0', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'http', port: 0 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.port' },
  { name: '0 days', method: 'POST', path: '/certificates/self-signed', options: { body: { cn: 'x.contoso.com', days: 0 } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.days' },
  { name: 'a friendly name of 300 characters', method: 'PATCH', path: '/certificates/Contoso%20self-signed', options: { body: { friendlyName: 'x'.repeat(300) } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.friendlyName' },
  { name: 'an unknown store', method: 'POST', path: '/certificates/self-signed', options: { body: { cn: 'x.contoso.com', store: 'my' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.store' },
  { name: 'a country name (Germany), not its code', method: 'POST', path: '/requests', options: { body: { cn: 'www.contoso.com', country: 'Germany' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.country' },
  { name: 'two letters that are no country (UK)', method: 'POST', path: '/requests', options: { body: { cn: 'www.contoso.com', country: 'UK' } }, status: 400, code: 'GH_COUNTRY_INVALID', detail: /"UK" is not an assigned ISO 3166 country code.*GB \(United Kingdom\)/ },
  { name: 'an unknown role', method: 'POST', path: '/users', options: { body: { name: 'carol', role: 'administrator', password: PASSWORD } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.role' },
  // Query strings and path parameters.
  { name: 'an unknown store in the query', method: 'GET', path: '/certificates?store=vault', status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'querystring.store' },
  { name: 'an unknown query parameter', method: 'GET', path: '/certificates?colour=blue', status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'expiring=soon', method: 'GET', path: '/certificates?expiring=soon', status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'querystring.expiring' },
  { name: 'audit since=yesterday', method: 'GET', path: '/audit?since=yesterday', status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /yesterday/ },
  { name: 'audit last=-1', method: 'GET', path: '/audit?last=-1', status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a request id that is not a number', method: 'GET', path: '/requests/abc', status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'params.id' },
  { name: 'request id 0', method: 'DELETE', path: '/requests/0', status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'params.id' },
  { name: 'removing a binding without its port', method: 'DELETE', path: '/sites/Contoso/bindings?protocol=https', status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a malformed percent-escape in the path', method: 'GET', path: '/sites/%E0%A4%A', status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  // Size and media type.
  { name: 'a body over 2 MiB', method: 'POST', path: '/certificates/import', options: { raw: JSON.stringify({ file: 'A'.repeat(2 * 1024 * 1024 + 100) }), headers: JSON_TYPE }, status: 413, code: 'GH_REQUEST_TOO_LARGE' },
  { name: 'text/plain', method: 'POST', path: '/sites', options: { raw: '{"name":"Fabrikam","root":"/srv"}', headers: { 'content-type': 'text/plain' } }, status: 415, code: 'GH_MEDIA_TYPE_UNSUPPORTED' },
  { name: 'a form (application/x-www-form-urlencoded)', method: 'POST', path: '/sites', options: { raw: 'name=Fabrikam&root=%2Fsrv', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'GH_MEDIA_TYPE_UNSUPPORTED' },
  { name: 'multipart/form-data', method: 'POST', path: '/certificates/import', options: { raw: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=x' } }, status: 415, code: 'GH_MEDIA_TYPE_UNSUPPORTED' },
  { name: 'application/xml', method: 'POST', path: '/sites', options: { raw: '<site name="Fabrikam"/>', headers: { 'content-type': 'application/xml' } }, status: 415, code: 'GH_MEDIA_TYPE_UNSUPPORTED' },
  { name: 'a body without a content type', method: 'POST', path: '/sites', options: { raw: '{"name":"Fabrikam","root":"/srv"}' }, status: 415, code: 'GH_MEDIA_TYPE_UNSUPPORTED' },
  // Uploaded files (base64 in JSON).
  { name: 'a file that is not base64', method: 'POST', path: '/requests/complete', options: { body: { file: '%%% not base64 %%%' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /base64/ },
  { name: 'a PFX that is not base64', method: 'POST', path: '/certificates/import', options: { body: { file: '<html>not a pfx</html>', password: 'x' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', detail: /base64/ },
  { name: 'a key file that is not base64', method: 'POST', path: '/certificates/import', options: { body: { file: Buffer.from('x').toString('base64'), keyFile: '***' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a CSR that is not base64', method: 'POST', path: '/ca/sign', options: { body: { csr: '-----BEGIN CERTIFICATE REQUEST-----' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID' },
  { name: 'a decoded file over 1 MiB', method: 'POST', path: '/requests/complete', options: { body: { file: Buffer.alloc(1_100_000, 0x41).toString('base64') } }, status: 413, code: 'GH_FILE_TOO_LARGE' },
  { name: 'a base64 text longer than any file', method: 'POST', path: '/certificates/import', options: { body: { file: 'QUFB'.repeat(400_000) } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.file' },
  { name: 'an empty file', method: 'POST', path: '/requests/complete', options: { body: { file: '' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.file' },
  { name: 'base64 of a web page', method: 'POST', path: '/requests/complete', options: { body: { file: Buffer.from('<html><body>Certificate</body></html>').toString('base64'), fileName: 'certnew.cer' } }, status: 400, code: 'GH_NOT_A_CERTIFICATE' },
  // Refusals of the core, through the API.
  { name: 'a host name with a space', method: 'POST', path: '/requests', options: { body: { cn: 'www contoso com' } }, status: 400, code: 'GH_NAME_INVALID' },
  { name: 'an https binding without a certificate', method: 'POST', path: '/sites/Contoso/bindings', options: { body: { protocol: 'https', port: 443 } }, status: 400, code: 'GH_BINDING_CERT_REQUIRED' },
  { name: 'a binding of an unknown site', method: 'POST', path: '/sites/Nowhere/bindings', options: { body: { protocol: 'http', port: 8080 } }, status: 404, code: 'GH_SITE_NOT_FOUND' },
  { name: 'an unknown certificate', method: 'GET', path: '/certificates/no-such-certificate', status: 404, code: 'GH_CERT_NOT_FOUND' },
  { name: 'a duplicate site', method: 'POST', path: '/sites', options: { body: { name: 'Contoso', root: '/tmp' } }, status: 409, code: 'GH_SITE_EXISTS' },
  { name: 'a duplicate user', method: 'POST', path: '/users', options: { body: { name: 'alice', role: 'view-only', password: PASSWORD } }, status: 409, code: 'GH_USER_EXISTS' },
  { name: 'a weak password', method: 'POST', path: '/users', options: { body: { name: 'carol', role: 'view-only', password: 'short' } }, status: 400, code: 'GH_PASSWORD_WEAK' },
  { name: 'a bad user name', method: 'POST', path: '/users', options: { body: { name: 'carol smith', role: 'view-only', password: PASSWORD } }, status: 400, code: 'GH_USER_NAME_INVALID' },
  { name: 'a PFX with the wrong password', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: pfxBase64, fileName: 'leaf.pfx', password: 'the wrong password' } }), status: 400, code: 'GH_PFX_BAD_PASSWORD', detail: /in "password"\./, consoleDetail: /in "Password"\./ },
  { name: 'a PFX export of a key that is not exportable', method: 'POST', path: '/certificates/Contoso%20self-signed/export', options: { body: { password: 'a password' } }, status: 403, code: 'GH_KEY_NOT_EXPORTABLE', detail: /"format": "pem" and "noKey": true.*"exportable": true/, consoleDetail: /"Include the private key".*"Allow this certificate to be exported"/ },
  { name: 'a PFX export without a password', method: 'POST', path: '/certificates/Exportable/export', options: { body: {} }, status: 400, code: 'GH_PASSWORD_REQUIRED', detail: /in "password"\./ },
  // Refusals whose advice names an option or another action: each face words it its own way.
  { name: 'a second certificate on an endpoint without SNI', method: 'POST', path: '/sites/Fabrikam/bindings', options: () => ({ body: { protocol: 'https', port, host: 'shop.fabrikam.com', cert: 'Exportable' } }), status: 409, code: 'GH_ENDPOINT_CERT_CONFLICT', detail: /with "host" and require SNI with "sni": true\./, consoleDetail: /with "Host name" and require SNI with "Require Server Name Indication"\./ },
  { name: 'a change that reaches another site', method: 'PATCH', path: '/sites/Contoso/bindings', options: () => ({ body: { protocol: 'https', port, cert: 'Exportable' } }), status: 409, code: 'GH_BINDING_AFFECTS_OTHERS', detail: /use "force": true; or give this site a host name with "host"/, consoleDetail: /use "Apply anyway"; or give this site a host name with "Host name"/ },
  { name: 'removing a certificate that bindings use', method: 'DELETE', path: '/certificates/Contoso%20self-signed', status: 409, code: 'GH_CERT_IN_USE', detail: /PATCH \/api\/v1\/sites\/SITE\/bindings.*force=true in the query/, consoleDetail: /"Edit…" in the site's "Bindings…".*"Remove it and those bindings"/ },
  { name: 'Require SNI without a host name', method: 'POST', path: '/sites/Contoso/bindings', options: () => ({ body: { protocol: 'https', port: spare, sni: true, cert: 'Exportable' } }), status: 400, code: 'GH_BINDING_SNI_NEEDS_HOST', detail: /give "host" with "sni": true/, consoleDetail: /give "Host name" with "Require Server Name Indication"/ },
  { name: 'an http binding with SNI', method: 'POST', path: '/sites/Contoso/bindings', options: () => ({ body: { protocol: 'http', port: spare, host: 'x.contoso.com', sni: true } }), status: 400, code: 'GH_BINDING_INVALID', detail: /use "protocol": "https"/ },
  { name: 'a binding host name that is an IP address', method: 'POST', path: '/sites/Contoso/bindings', options: () => ({ body: { protocol: 'http', port: spare, host: '10.0.0.1' } }), status: 400, code: 'GH_NAME_INVALID', detail: /in "ip" instead/, consoleDetail: /in "IP address" instead/ },
  { name: 'a binding of a certificate that is not there', method: 'POST', path: '/sites/Contoso/bindings', options: () => ({ body: { protocol: 'https', port: spare, cert: 'no-such-certificate' } }), status: 404, code: 'GH_CERT_NOT_FOUND', detail: /GET \/api\/v1\/certificates shows them/, consoleDetail: /the Server Certificates page shows them/ },
  { name: 'a site with both a folder and an upstream', method: 'POST', path: '/sites', options: { body: { name: 'Both', root: '/tmp', proxy: 'http://127.0.0.1:3000' } }, status: 400, code: 'GH_USAGE', detail: /one of "root" .* or "proxy"/, consoleDetail: /one of "Physical path" .* or "Upstream URL"/ },
  { name: 'a site folder that does not exist', method: 'POST', path: '/sites', options: { body: { name: 'Gone', root: '/nonexistent/gatehouse-www' } }, status: 400, code: 'GH_SITE_CONTENT_INVALID', detail: /another "root"\./ },
  { name: 'Require TLS on an implicit-TLS listener', method: 'POST', path: '/services/smtp/listeners', options: () => ({ body: { listen: `127.0.0.1:${spare}`, backend: '127.0.0.1:10025', mode: 'tls', requireTls: true } }), status: 400, code: 'GH_LISTENER_INVALID', detail: /^"requireTls": true applies/, consoleDetail: /^"Require TLS" applies/ },
  { name: 'a listener endpoint that is not ADDRESS:PORT', method: 'POST', path: '/services/smtp/listeners', options: { body: { listen: 'nowhere', backend: '127.0.0.1:10025' } }, status: 400, code: 'GH_LISTENER_INVALID', detail: /^"listen" takes ADDRESS:PORT/ },
  { name: 'a listener backend that is not HOST:PORT', method: 'POST', path: '/services/smtp/listeners', options: () => ({ body: { listen: `127.0.0.1:${spare}`, backend: 'mail.contoso.com' } }), status: 400, code: 'GH_BACKEND_INVALID', detail: /^"backend" takes HOST:PORT/ },
  { name: 'a listener host name that is an address', method: 'POST', path: '/services/smtp/listeners', options: () => ({ body: { listen: `127.0.0.1:${spare}`, backend: '127.0.0.1:10025', host: '10.0.0.1' } }), status: 400, code: 'GH_NAME_INVALID', detail: /^"host" is the DNS name/, consoleDetail: /^"Host name" is the DNS name/ },
  { name: 'an encrypted key without its password', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: leafCertBase64, fileName: 'leaf.pem', keyFile: encryptedKeyBase64 } }), status: 400, code: 'GH_KEY_BAD_PASSWORD', detail: /in "password"\./ },
  { name: 'a PEM certificate without its key', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: leafCertBase64, fileName: 'leaf.pem' } }), status: 400, code: 'GH_KEY_MISSING', detail: /with "keyFile".*POST \/api\/v1\/requests\/complete/, consoleDetail: /with "Private key file".*"Complete Certificate Request…"/ },
  { name: 'a PFX as the CA\'s response', method: 'POST', path: '/requests/complete', options: () => ({ body: { file: pfxBase64, fileName: 'leaf.pfx' } }), status: 400, code: 'GH_NOT_A_CERTIFICATE', detail: /POST \/api\/v1\/certificates\/import/, consoleDetail: /"Import…" on the Server Certificates page/ },
  // Damaged keys and certificates, and numbers past any date: coded refusals, never GH_INTERNAL (issue #10, findings 6 and 7).
  { name: 'a certificate with a damaged RSA key', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: damaged.rsaCert, fileName: 'rsa.pem', keyFile: damaged.rsaKey } }), status: 400, code: 'GH_KEY_DAMAGED', detail: /given with "keyFile" is damaged: its CRT exponent dq/, consoleDetail: /given with "Private key file" is damaged/ },
  { name: 'a PFX holding a damaged RSA key', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: damaged.rsaPfx, fileName: 'damaged.pfx', password: 'the right password' } }), status: 400, code: 'GH_KEY_DAMAGED', detail: /inside damaged\.pfx is damaged/ },
  { name: 'a CA answer whose public key does not decode', method: 'POST', path: '/requests/complete', options: () => ({ body: { file: damaged.spki, fileName: 'spki.pem' } }), status: 400, code: 'GH_NOT_A_CERTIFICATE', detail: /public key/ },
  { name: 'a certificate whose public key does not decode, to import', method: 'POST', path: '/certificates/import', options: () => ({ body: { file: damaged.spki, fileName: 'spki.pem', keyFile: encryptedKeyBase64, password: 'the key password' } }), status: 400, code: 'GH_NOT_A_CERTIFICATE', detail: /public key/ },
  { name: 'a CA answer with an over-long AuthorityKeyIdentifier integer', method: 'POST', path: '/requests/complete', options: () => ({ body: { file: damaged.aki, fileName: 'aki.pem' } }), status: 400, code: 'GH_NOT_A_CERTIFICATE', detail: /extensions/ },
  { name: 'expiring=100000000 (past any date)', method: 'GET', path: '/certificates?expiring=100000000', status: 400, code: 'GH_DAYS_INVALID', detail: /^"expiring" in the query takes a whole number of days from 0 to 36500/ },
  { name: 'an unknown site\'s bindings', method: 'GET', path: '/sites/Nowhere/bindings', status: 404, code: 'GH_SITE_NOT_FOUND', detail: /GET \/api\/v1\/sites shows the sites/, consoleDetail: /the Sites page shows the sites/ },
  { name: 'an API token that is not valid', method: 'GET', path: '/sites', anonymous: true, options: { headers: { authorization: 'Bearer not-a-token' } }, status: 401, code: 'GH_UNAUTHENTICATED', detail: /POST \/api\/v1\/tokens/ },
  { name: 'submitting to a CA that does not exist', method: 'POST', path: '/requests/1/submit', options: { body: { ca: 'digicert' } }, status: 400, code: 'GH_REQUEST_BODY_INVALID', errorPath: 'body.ca' },
  // Routes that do not exist.
  { name: 'an unknown route', method: 'GET', path: '/nope', status: 404, code: 'GH_ROUTE_NOT_FOUND', detail: /GET \/api\/v1\/nope/ },
  { name: 'a method a route does not take', method: 'PUT', path: '/sites', options: { body: {} }, status: 405, code: 'GH_METHOD_NOT_ALLOWED', detail: /takes GET, HEAD, POST/ },
  { name: 'another API version', method: 'GET', path: '/../v2/sites', status: 404, code: 'GH_ROUTE_NOT_FOUND' },
  { name: 'an unknown route without credentials', method: 'DELETE', path: '/everything', anonymous: true, status: 404, code: 'GH_ROUTE_NOT_FOUND' },
];

for (const c of cases) {
  test(`bad input: ${c.name} → ${c.status} ${c.code}, nothing changed`, { timeout: 120_000 }, async () => {
    const before = last;
    let r: ApiResponse;
    try {
      const options = typeof c.options === 'function' ? c.options() : { ...(c.options ?? {}) };
      const path = (c.path.startsWith('/../') ? `/api/${c.path.slice(4)}` : `/api/v1${c.path}`);
      r = await admin.call(c.method, path, c.anonymous ? options : { token, ...options });
      assertProblem(r, c.status, c.code, c.name);
      if (c.detail) assert.match(r.json.detail, c.detail, `${c.name}: ${r.text.slice(0, 500)}`);
      // The same refusal for the console: the same code, in its words (assertProblem: no CLI flag either way).
      const forConsole = { ...options, headers: { ...(options.headers ?? {}), 'x-gatehouse-wording': 'console' } };
      const rc = await admin.call(c.method, path, c.anonymous ? forConsole : { token, ...forConsole });
      assertProblem(rc, c.status, c.code, `${c.name} (console)`);
      if (c.consoleDetail) assert.match(rc.json.detail, c.consoleDetail, `${c.name} (console): ${rc.text.slice(0, 500)}`);
      if (c.errorPath) {
        const paths = ((r.json.errors ?? []) as Array<{ path: string }>).map((e) => e.path);
        assert.ok(paths.includes(c.errorPath), `${c.name}: errors[] should name ${c.errorPath}: ${r.text.slice(0, 800)}`);
      }
      assert.equal(r.headers['cache-control'], 'no-store', 'API answers are never cached');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    } finally {
      last = await auditAndRevision(data);
    }
    assert.deepEqual(last, before, `${c.name}: the store changed`);
  });
}

test('after all the bad input, the whole store is as it was', { timeout: 120_000 }, async () => {
  assert.deepEqual(await adminSnapshot(data), first);
});

test('the server logged no internal failure for any of the bad input', { timeout: 120_000 }, () => {
  assert.doesNotMatch(admin.serve.out + admin.serve.err, /failed: |GH_INTERNAL|\n\s+at /, admin.serve.log());
});

// ---------------------------------------------------------------------------------------------
// Sessions, CSRF, throttling, tokens and accounts: each on its own server (the throttle is per process).

async function serverWith(t: { after: (fn: () => Promise<void>) => void }, users: Array<[string, string]>): Promise<{ data: string; admin: AdminServer; tokens: Record<string, string> }> {
  const d = dataDir();
  const tokens: Record<string, string> = {};
  for (const [name, role] of users) {
    addUser(d, name, role);
    tokens[name] = createToken(d, name);
  }
  const a = await AdminServer.start(d);
  t.after(() => a.stop());
  return { data: d, admin: a, tokens };
}

test('CSRF: a cookie-authenticated change without X-CSRF-Token, or with a wrong one, is refused and changes nothing; with it, it succeeds', { timeout: 120_000 }, async (t) => {
  const { data: d, admin: a } = await serverWith(t, [['alice', 'organization-management'], ['bob', 'server-management']]);
  const session = await a.login('alice');
  const other = await a.login('bob');
  const root = tmpDir('gh-www-');
  const body = { name: 'Fabrikam', root };
  const before = await adminSnapshot(d);
  const attempts: Array<[string, CallOptions]> = [
    ['no X-CSRF-Token', { session, omitCsrf: true, body }],
    ['an empty X-CSRF-Token', { session, omitCsrf: true, body, headers: { 'x-csrf-token': '' } }],
    ['a wrong X-CSRF-Token', { session, omitCsrf: true, body, headers: { 'x-csrf-token': 'A'.repeat(43) } }],
    ["another session's X-CSRF-Token", { session, omitCsrf: true, body, headers: { 'x-csrf-token': other.csrfToken } }],
    ['the token in a query parameter', { session, omitCsrf: true, body }],
  ];
  for (const [what, options] of attempts) {
    const path = what.includes('query') ? `/api/v1/sites?csrf=${session.csrfToken}` : '/api/v1/sites';
    const r = await a.call('POST', path, options);
    assertProblem(r, 403, 'GH_CSRF_TOKEN_INVALID', what);
  }
  // Other changes too: a DELETE, a PATCH, log-out.
  assertProblem(await a.call('DELETE', '/api/v1/sites/Fabrikam', { session, omitCsrf: true }), 403, 'GH_CSRF_TOKEN_INVALID');
  assertProblem(await a.call('PATCH', '/api/v1/users/bob', { session, omitCsrf: true, body: { role: 'view-only' } }), 403, 'GH_CSRF_TOKEN_INVALID');
  assertProblem(await a.call('DELETE', '/api/v1/session', { session, omitCsrf: true }), 403, 'GH_CSRF_TOKEN_INVALID');
  assert.deepEqual(await adminSnapshot(d), before, 'nothing changed');
  // Reading needs no CSRF token; the session still works, and GET /session gives the token back.
  const me = await a.call('GET', '/api/v1/session', { session });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.csrfToken, session.csrfToken);
  // With the token: done.
  const ok = await a.call('POST', '/api/v1/sites', { session, body });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ghJson<Array<{ name: string }>>(d, ['site', 'list']).map((s) => s.name).join(), 'Fabrikam');
  // A bearer token needs no CSRF token (it is not sent by browsers on their own).
  const viaToken = await a.call('POST', '/api/v1/sites/Fabrikam/stop', { token: createToken(d, 'alice') });
  assert.equal(viaToken.status, 200, viaToken.text);
});

test('log-in: the session cookie is HttpOnly, Secure and SameSite=Strict; a wrong user and a wrong password answer the same problem', { timeout: 120_000 }, async (t) => {
  const { admin: a } = await serverWith(t, [['alice', 'organization-management']]);
  const ok = await a.call('POST', '/api/v1/session', { body: { user: 'alice', password: PASSWORD } });
  assert.equal(ok.status, 201, ok.text);
  const cookie = ([] as string[]).concat(ok.headers['set-cookie'] ?? []).find((c) => c.startsWith('gh_session='))!;
  assert.ok(cookie, JSON.stringify(ok.headers));
  assert.match(cookie, /;\s*HttpOnly/i);
  assert.match(cookie, /;\s*Secure/i);
  assert.match(cookie, /;\s*SameSite=Strict/i);
  assert.match(cookie, /;\s*Path=\//i);
  assert.match(ok.json.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(ok.json.user, 'alice');
  assert.equal(ok.json.role, 'organization-management');
  assert.ok(!cookie.includes(ok.json.csrfToken));

  const wrongPassword = await a.call('POST', '/api/v1/session', { body: { user: 'alice', password: 'not the password at all' } });
  const wrongUser = await a.call('POST', '/api/v1/session', { body: { user: 'mallory', password: PASSWORD } });
  const wrongCase = await a.call('POST', '/api/v1/session', { body: { user: 'ALICE', password: PASSWORD } });
  for (const r of [wrongPassword, wrongUser, wrongCase]) {
    assertProblem(r, 401, 'GH_LOGIN_FAILED');
    assert.equal(r.headers['set-cookie'], undefined, 'no cookie for a failed log-in');
  }
  assert.equal(wrongUser.text, wrongPassword.text, 'the same answer, byte for byte');
  assert.equal(wrongCase.text, wrongPassword.text);
});

test('log-in throttling: repeated wrong passwords → 401 GH_LOGIN_FAILED, then 429 GH_LOGIN_THROTTLED with Retry-After, for real and unknown users alike', { timeout: 120_000 }, async (t) => {
  const { admin: a } = await serverWith(t, [['alice', 'organization-management'], ['bob', 'view-only']]);
  const attempt = (user: string, password = 'a wrong password!!') => a.call('POST', '/api/v1/session', { body: { user, password } });
  // Five wrong passwords for alice: each a plain failure.
  for (let i = 0; i < 5; i++) assertProblem(await attempt('alice'), 401, 'GH_LOGIN_FAILED', `alice attempt ${i + 1}`);
  // Then alice must wait — even with the right password.
  const throttled = await attempt('alice');
  assertProblem(throttled, 429, 'GH_LOGIN_THROTTLED');
  const retryAfter = Number(throttled.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${String(throttled.headers['retry-after'])}`);
  const right = await attempt('alice', PASSWORD);
  assertProblem(right, 429, 'GH_LOGIN_THROTTLED');
  assert.equal(right.headers['set-cookie'], undefined);
  // A user that does not exist is throttled the same way (nothing tells the two apart).
  for (let i = 0; i < 5; i++) assertProblem(await attempt('mallory'), 401, 'GH_LOGIN_FAILED', `mallory attempt ${i + 1}`);
  const mallory = await attempt('mallory');
  assertProblem(mallory, 429, 'GH_LOGIN_THROTTLED');
  assert.ok(Number(mallory.headers['retry-after']) > 0);
  assert.equal(mallory.json.title, throttled.json.title);
  // Ten failures from this address: now everyone here waits, bob with his right password too.
  const bob = await attempt('bob', PASSWORD);
  assertProblem(bob, 429, 'GH_LOGIN_THROTTLED');
  assert.ok(Number(bob.headers['retry-after']) > 0);
  // Bearer tokens are not log-ins: they keep working.
  const byToken = await a.call('GET', '/api/v1/session', { token: createToken(a.data, 'bob') });
  assert.equal(byToken.status, 200, byToken.text);
});

test('log-in throttling holds against concurrent guesses: at most 5 passwords are tried for one user', { timeout: 120_000 }, async (t) => {
  const { admin: a } = await serverWith(t, [['alice', 'organization-management']]);
  // Twelve guesses at once, for a user with a limit of five failures. The throttle must count
  // guesses in flight, or an attacker simply sends them in parallel.
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => a.call('POST', '/api/v1/session', { body: { user: 'alice', password: `guess number ${i} here` } })));
  const tried = answers.filter((r) => r.status === 401).length;
  const refused = answers.filter((r) => r.status === 429).length;
  assert.equal(tried + refused, 12, answers.map((r) => `${r.status} ${r.text.slice(0, 100)}`).join('\n'));
  assert.ok(tried <= 5, `${tried} of 12 concurrent guesses had their password checked (expected at most 5, the rest 429)`);
});

test('log-out ends the session: the cookie is cleared and refused afterwards', { timeout: 120_000 }, async (t) => {
  const { admin: a } = await serverWith(t, [['alice', 'organization-management']]);
  const session = await a.login('alice');
  const second = await a.login('alice');
  assert.equal((await a.call('GET', '/api/v1/session', { session })).status, 200);
  const out = await a.call('DELETE', '/api/v1/session', { session });
  assert.equal(out.status, 200, out.text);
  assert.deepEqual(out.json, { loggedOut: true });
  const cleared = ([] as string[]).concat(out.headers['set-cookie'] ?? []).find((c) => c.startsWith('gh_session='));
  assert.ok(cleared && /gh_session=;|Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(cleared), `the cookie is cleared: ${String(cleared)}`);
  assertProblem(await a.call('GET', '/api/v1/session', { session }), 401, 'GH_SESSION_EXPIRED');
  assertProblem(await a.call('POST', '/api/v1/sites', { session, body: { name: 'x', root: '/tmp' } }), 401, 'GH_SESSION_EXPIRED');
  assertProblem(await a.call('DELETE', '/api/v1/session', { session }), 401, 'GH_SESSION_EXPIRED');
  // Another session of the same user is not affected.
  assert.equal((await a.call('GET', '/api/v1/session', { session: second })).status, 200);
});

test('a revoked token is refused at once (CLI and API revocation); a removed user\'s token too', { timeout: 120_000 }, async (t) => {
  const { data: d, admin: a, tokens } = await serverWith(t, [['alice', 'organization-management'], ['bob', 'server-management']]);
  const list = ghJson<Array<{ id: string; user: string }>>(d, ['token', 'list']);
  const bobId = list.find((x) => x.user === 'bob')!.id;
  assert.equal((await a.call('GET', '/api/v1/sites', { token: tokens.bob })).status, 200);
  ghJson(d, ['token', 'revoke', bobId]);
  assertProblem(await a.call('GET', '/api/v1/sites', { token: tokens.bob }), 401, 'GH_UNAUTHENTICATED');
  // Through the API: alice revokes a new token of bob's.
  const created = await a.call('POST', '/api/v1/tokens', { token: tokens.alice, body: { user: 'bob', description: 'second' } });
  assert.equal(created.status, 201, created.text);
  assert.equal((await a.call('GET', '/api/v1/sites', { token: created.json.token })).status, 200);
  const revoked = await a.call('DELETE', `/api/v1/tokens/${created.json.id}`, { token: tokens.alice });
  assert.equal(revoked.status, 200, revoked.text);
  assertProblem(await a.call('GET', '/api/v1/sites', { token: created.json.token }), 401, 'GH_UNAUTHENTICATED');
  // A removed user's tokens go with them.
  const third = createToken(d, 'bob');
  assert.equal((await a.call('GET', '/api/v1/sites', { token: third })).status, 200);
  ghJson(d, ['user', 'remove', 'bob']);
  assertProblem(await a.call('GET', '/api/v1/sites', { token: third }), 401, 'GH_UNAUTHENTICATED');
});

test("changing a user's role or password ends their sessions; their tokens take the new role at once", { timeout: 120_000 }, async (t) => {
  const { data: d, admin: a, tokens } = await serverWith(t, [['alice', 'organization-management'], ['bob', 'server-management']]);
  const aliceSession = await a.login('alice');
  // Through the API: a new role.
  const b1 = await a.login('bob');
  const b2 = await a.login('bob');
  const demoted = await a.call('PATCH', '/api/v1/users/bob', { token: tokens.alice, body: { role: 'view-only' } });
  assert.equal(demoted.status, 200, demoted.text);
  assertProblem(await a.call('GET', '/api/v1/session', { session: b1 }), 401, 'GH_SESSION_EXPIRED');
  assertProblem(await a.call('GET', '/api/v1/session', { session: b2 }), 401, 'GH_SESSION_EXPIRED');
  assert.equal((await a.call('GET', '/api/v1/session', { session: aliceSession })).status, 200, "alice's session is not affected");
  assertProblem(await a.call('POST', '/api/v1/sites', { token: tokens.bob, body: { name: 'x', root: '/tmp' } }), 403, 'GH_FORBIDDEN');
  // Through the CLI: a new password (the serving process notices: the account changed).
  const b3 = await a.login('bob');
  ghJson(d, ['user', 'set', 'bob', '--password-file', passwordFileFor('bobs brand new password')]);
  assertProblem(await a.call('GET', '/api/v1/session', { session: b3 }), 401, 'GH_SESSION_EXPIRED');
  assertProblem(await a.call('POST', '/api/v1/session', { body: { user: 'bob', password: PASSWORD } }), 401, 'GH_LOGIN_FAILED');
  const b4 = await a.login('bob', 'bobs brand new password');
  assert.equal(b4.role, 'view-only');
  // Through the CLI: a new role.
  ghJson(d, ['user', 'set', 'bob', '--role', 'server-management']);
  assertProblem(await a.call('GET', '/api/v1/session', { session: b4 }), 401, 'GH_SESSION_EXPIRED');
  assert.equal((await a.call('POST', '/api/v1/sites', { token: tokens.bob, body: { name: 'x', root: tmpDir('gh-www-') } })).status, 201, 'the token has the new role');
  // Through the API: a new password.
  const b5 = await a.login('bob', 'bobs brand new password');
  const changed = await a.call('PATCH', '/api/v1/users/bob', { session: aliceSession, body: { password: 'and yet another password' } });
  assert.equal(changed.status, 200, changed.text);
  assertProblem(await a.call('GET', '/api/v1/session', { session: b5 }), 401, 'GH_SESSION_EXPIRED');
  // Removed: every session ends.
  const b6 = await a.login('bob', 'and yet another password');
  ghJson(d, ['user', 'remove', 'bob']);
  assertProblem(await a.call('GET', '/api/v1/session', { session: b6 }), 401, 'GH_SESSION_EXPIRED');
});

test('the last organization-management user can be neither removed nor demoted, through the API or the CLI', { timeout: 120_000 }, async (t) => {
  const { data: d, admin: a, tokens } = await serverWith(t, [['alice', 'organization-management'], ['vera', 'view-only']]);
  const session = await a.login('alice');
  const before = await adminSnapshot(d);
  assertProblem(await a.call('DELETE', '/api/v1/users/alice', { token: tokens.alice }), 409, 'GH_LAST_ADMINISTRATOR');
  assertProblem(await a.call('PATCH', '/api/v1/users/alice', { token: tokens.alice, body: { role: 'view-only' } }), 409, 'GH_LAST_ADMINISTRATOR');
  assertProblem(await a.call('PATCH', '/api/v1/users/alice', { session, body: { role: 'server-management' } }), 409, 'GH_LAST_ADMINISTRATOR');
  ghFail(d, ['user', 'remove', 'alice'], 'GH_LAST_ADMINISTRATOR');
  ghFail(d, ['user', 'set', 'alice', '--role', 'view-only'], 'GH_LAST_ADMINISTRATOR');
  assert.deepEqual(await adminSnapshot(d), before, 'nothing changed');
  assert.equal((await a.call('GET', '/api/v1/session', { session })).status, 200, 'a refused change does not end the session');
  // With a second administrator, the first may step down.
  const promoted = await a.call('PATCH', '/api/v1/users/vera', { token: tokens.alice, body: { role: 'organization-management' } });
  assert.equal(promoted.status, 200, promoted.text);
  const stepDown = await a.call('PATCH', '/api/v1/users/alice', { token: tokens.alice, body: { role: 'view-only' } });
  assert.equal(stepDown.status, 200, stepDown.text);
  assertProblem(await a.call('DELETE', '/api/v1/users/vera', { token: tokens.vera }), 409, 'GH_LAST_ADMINISTRATOR');
  ghFail(d, ['user', 'remove', 'vera'], 'GH_LAST_ADMINISTRATOR');
  const gone = gh(d, ['user', 'remove', 'alice']);
  assert.equal(gone.code, 0, gone.stderr);
});

test('an unknown API token, a malformed Authorization header and an expired session all answer 401 problems', { timeout: 120_000 }, async (t) => {
  const { admin: a } = await serverWith(t, [['alice', 'organization-management']]);
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer gh_x', 'Bearer  ', 'Token abc', 'gh_abc', `Bearer ${'gh_'.padEnd(5000, 'a')}`]) {
    const r = await a.call('GET', '/api/v1/certificates', { headers: { authorization } });
    assertProblem(r, 401, 'GH_UNAUTHENTICATED', authorization.slice(0, 30));
  }
  assertProblem(await a.call('GET', '/api/v1/certificates', { headers: { cookie: 'gh_session=' } }), 401, 'GH_SESSION_EXPIRED');
  assertProblem(await a.call('GET', '/api/v1/certificates', { headers: { cookie: 'other=1' } }), 401, 'GH_UNAUTHENTICATED');
});

test('an empty PATCH changes nothing: no audit record, no new revision, no session ended', { timeout: 120_000 }, async (t) => {
  const { data: d, admin: a, tokens } = await serverWith(t, [['alice', 'organization-management'], ['bob', 'view-only']]);
  ghJson(d, ['site', 'add', 'Contoso', '--root', tmpDir('gh-www-')]);
  const bob = await a.login('bob');
  const before = await adminSnapshot(d);
  const user = await a.call('PATCH', '/api/v1/users/bob', { token: tokens.alice, body: {} });
  const site = await a.call('PATCH', '/api/v1/sites/Contoso', { token: tokens.alice, body: {} });
  // Either answer is fine — a 4xx problem ("nothing to change", as the CLI says) or the unchanged object —
  // but nothing may be written, and bob must stay logged in.
  for (const [what, r] of [['PATCH /users/bob {}', user], ['PATCH /sites/Contoso {}', site]] as const) {
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${what}: ${r.status} ${r.text}`);
  }
  assert.equal((await a.call('GET', '/api/v1/session', { session: bob })).status, 200, "an empty change to bob's account ended his session");
  assert.deepEqual(await adminSnapshot(d), before, 'an empty PATCH wrote to the store');
});
