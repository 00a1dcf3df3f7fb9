import { Type } from 'typebox';
import { DEFAULT_KEY_TYPE, parseKeyType } from '../model/key-type.js';
import { chainWarnings } from '../lifecycle/certificate-manager.js';
import { ANY_STORE, BASE64_FILE, closed, Download, FRIENDLY_NAME, HOST_NAME, QUERY_FLAG, QUERY_INT, route, STORE } from './admin-route.js';
import { CertificateDetailsSchema, CertificateRemovedSchema, CertificateSchema } from './resource-schemas.js';
import { uploadedFile } from './upload.js';
import { DEFAULT_PAGE, pageHeaders } from './paging.js';

const REF = closed({ ref: Type.String({ minLength: 1, maxLength: 256, description: 'thumbprint, 8+ leading hex digits of one, or the exact friendly name' }) });
const KEY = Type.String({ description: 'rsa-2048 (default), rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384' });

/** The Server Certificates page: list, show, rename, remove, import, export, self-signed, install chain; and the Trusted Root store. */
export const certificateRoutes = [
  route({
    method: 'GET', path: '/certificates', access: 'view', tag: 'certificates',
    summary: 'List server certificates (the Server Certificates page); store=root lists Trusted Root Certification Authorities. ' +
      'With limit, cursor, name or status: one page (limit 1–1000, default 100) in the listing\'s order, filtered by a text in the name (friendly name, issued to, SANs; any case) and by status; ' +
      'the X-Total-Count header says how many match, X-Next-Cursor (absent on the last page) is the cursor of the next page',
    query: closed({
      store: Type.Optional(ANY_STORE), expiring: Type.Optional(QUERY_INT),
      name: Type.Optional(Type.String({ maxLength: 256 })), status: Type.Optional(Type.String({ maxLength: 32, description: 'valid, expiring, expired or chain-incomplete' })),
      limit: Type.Optional(QUERY_INT), cursor: Type.Optional(Type.String({ maxLength: 2048 })),
    }),
    response: Type.Array(CertificateSchema),
    handler: ({ admin, query, reply }) => {
      const expiringDays = query.expiring === undefined ? undefined : Number(query.expiring);
      if (query.limit === undefined && query.cursor === undefined && query.name === undefined && query.status === undefined) {
        return admin.gatehouse.certificates.list({ store: query.store, expiringDays });
      }
      const page = admin.gatehouse.certificates.page({
        store: query.store, expiringDays, name: query.name, status: query.status, limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit), cursor: query.cursor,
      });
      pageHeaders(reply, page);
      return page.items;
    },
  }),
  route({
    method: 'GET', path: '/certificates/:ref', access: 'view', tag: 'certificates', summary: 'Show one certificate', params: REF, response: CertificateSchema,
    handler: ({ admin, params }) => admin.gatehouse.certificates.show(params.ref),
  }),
  route({
    method: 'GET', path: '/certificates/:ref/details', access: 'view', tag: 'certificates',
    summary: "View…: one certificate with its fields (Details) and its certification path judged now", params: REF, response: CertificateDetailsSchema,
    handler: ({ admin, params }) => admin.gatehouse.certificates.details(params.ref),
  }),
  route({
    method: 'GET', path: '/certificates/:ref/pem', access: 'view', tag: 'certificates', summary: 'Download the certificate and its chain (PEM, no key)', params: REF, produces: 'application/x-pem-file',
    handler: ({ admin, params }) => {
      const c = admin.gatehouse.certificates.export(params.ref, { format: 'pem', includeKey: false });
      return new Download(c.data, 'application/x-pem-file', `${c.thumbprint}.pem`);
    },
  }),
  route({
    method: 'PATCH', path: '/certificates/:ref', access: 'certificates.manage', tag: 'certificates', summary: "Rename: change a certificate's friendly name",
    params: REF, body: closed({ friendlyName: FRIENDLY_NAME }), response: CertificateSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.certificates.rename(params.ref, body.friendlyName),
  }),
  route({
    method: 'DELETE', path: '/certificates/:ref', access: 'certificates.manage', tag: 'certificates', summary: 'Remove a certificate and its private key (refused while bindings use it, unless force=true)',
    params: REF, query: closed({ force: Type.Optional(QUERY_FLAG) }), response: CertificateRemovedSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.certificates.remove(params.ref, query.force === 'true'),
  }),
  route({
    method: 'POST', path: '/certificates/import', access: 'keys.manage', tag: 'certificates', status: 201,
    summary: 'Import… a PFX/PKCS#12, or a PEM/DER certificate with its private key; with store=root, a root CA certificate without key',
    body: closed({
      file: BASE64_FILE,
      fileName: Type.Optional(Type.String({ maxLength: 255, description: 'the uploaded file\'s name; its extension helps tell PFX from PEM' })),
      keyFile: Type.Optional(BASE64_FILE),
      password: Type.Optional(Type.String({ maxLength: 1024, description: "the PFX's or the encrypted key's password (absent or empty for a PFX without a password)" })),
      friendlyName: Type.Optional(FRIENDLY_NAME),
      store: Type.Optional(ANY_STORE),
      exportable: Type.Optional(Type.Boolean()),
    }),
    response: CertificateSchema,
    handler: async ({ admin, body }) => {
      const c = await admin.gatehouse.certificates.import({
        file: uploadedFile(body.file, 'file'), fileName: body.fileName ?? 'upload', keyFile: body.keyFile === undefined ? undefined : uploadedFile(body.keyFile, 'key file'),
        password: body.password, friendlyName: body.friendlyName, store: body.store, exportable: body.exportable ?? false,
      });
      return { ...c, warnings: chainWarnings(c) };
    },
  }),
  route({
    method: 'POST', path: '/certificates/:ref/chain', access: 'certificates.manage', tag: 'certificates',
    summary: "Install chain…: add or replace an installed certificate's intermediates from the CA's bundle (PEM, DER or PKCS#7; the leaf and the root may be in it)",
    params: REF,
    body: closed({ file: BASE64_FILE, fileName: Type.Optional(Type.String({ maxLength: 255 })) }),
    response: CertificateSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.certificates.installChain(params.ref, uploadedFile(body.file, 'chain bundle'), body.fileName ?? 'bundle'),
  }),
  route({
    method: 'POST', path: '/certificates/:ref/export', access: 'keys.manage', tag: 'certificates', produces: 'application/x-pkcs12',
    summary: 'Export… with the private key: PFX (default, password required) or PEM; noKey exports only the certificate and chain',
    params: REF,
    body: closed({
      format: Type.Optional(Type.Union([Type.Literal('pfx'), Type.Literal('pem')])),
      password: Type.Optional(Type.String({ maxLength: 1024 })),
      legacy: Type.Optional(Type.Boolean({ description: '3DES and SHA-1 MAC, for Windows Server 2016 and older' })),
      noKey: Type.Optional(Type.Boolean()),
    }),
    handler: ({ admin, params, body }) => {
      const format = body.format ?? 'pfx';
      const r = admin.gatehouse.certificates.export(params.ref, { format, password: body.password, legacy: body.legacy ?? false, includeKey: !(body.noKey ?? false) });
      return format === 'pfx' ? new Download(r.data, 'application/x-pkcs12', `${r.thumbprint}.pfx`) : new Download(r.data, 'application/x-pem-file', `${r.thumbprint}.pem`);
    },
  }),
  route({
    method: 'POST', path: '/certificates/self-signed', access: 'certificates.manage', tag: 'certificates', status: 201, summary: 'Create Self-Signed Certificate…',
    body: closed({
      cn: HOST_NAME, san: Type.Optional(Type.Array(HOST_NAME, { maxItems: 100 })), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
      key: Type.Optional(KEY), friendlyName: Type.Optional(FRIENDLY_NAME), store: Type.Optional(STORE), exportable: Type.Optional(Type.Boolean()),
    }),
    response: CertificateSchema,
    handler: ({ admin, body }) => admin.gatehouse.certificates.selfSigned({
      cn: body.cn, sans: body.san ?? [], days: body.days, keyType: body.key === undefined ? DEFAULT_KEY_TYPE : parseKeyType(body.key),
      exportable: body.exportable ?? false, friendlyName: body.friendlyName, store: body.store,
    }),
  }),
];
