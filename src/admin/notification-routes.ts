import { Type } from 'typebox';
import { closed, route } from './admin-route.js';

const NAME = Type.String({ minLength: 1, maxLength: 64 });
const NULLABLE_TIME = Type.Union([Type.String(), Type.Null()]);

/** A target as the API shows it: settings and whether there is a secret — the schema itself keeps any secret out of an answer. */
const TargetSchema = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
  created: Type.String(),
  hasSecret: Type.Boolean({ description: 'a webhook signing secret or an SMTP password is stored (sealed); it is never answered' }),
  lastSent: NULLABLE_TIME,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: NULLABLE_TIME,
  settings: Type.Object({
    url: Type.Optional(Type.String()),
    to: Type.Optional(Type.Array(Type.String())),
    from: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer()),
    tls: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
  }),
});

/** Notification targets: where renewal rollbacks and failures, and certificates running out, are reported. */
export const notificationRoutes = [
  route({
    method: 'GET', path: '/notifications', access: 'view', tag: 'notifications', summary: 'The notification targets, their last delivery and last failure (never a secret)',
    response: Type.Array(TargetSchema),
    handler: ({ admin }) => admin.gatehouse.notifications.list(),
  }),
  route({
    method: 'POST', path: '/notifications', access: 'certificates.manage', tag: 'notifications', status: 201,
    summary: 'Add a notification target: a webhook (JSON POST, optionally signed with X-Gatehouse-Signature) or e-mail through an SMTP server',
    body: closed({
      name: NAME,
      webhook: Type.Optional(closed({
        url: Type.String({ minLength: 1, maxLength: 2048 }),
        secret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'signs each request: X-Gatehouse-Signature: sha256=HMAC-SHA256 of the body' })),
      })),
      email: Type.Optional(closed({
        to: Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { minItems: 1, maxItems: 50 }),
        host: Type.String({ minLength: 1, maxLength: 255 }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        tls: Type.Optional(Type.Union([Type.Literal('starttls'), Type.Literal('implicit'), Type.Literal('none')])),
        from: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
        user: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
        password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      })),
    }),
    response: TargetSchema,
    handler: ({ admin, body }) => admin.gatehouse.notifications.add(body),
  }),
  route({
    method: 'DELETE', path: '/notifications/:name', access: 'certificates.manage', tag: 'notifications', summary: 'Remove a notification target (and its sealed secret)',
    params: closed({ name: NAME }),
    response: TargetSchema,
    handler: ({ admin, params }) => admin.gatehouse.notifications.remove(params.name),
  }),
  route({
    method: 'POST', path: '/notifications/:name/test', access: 'certificates.manage', tag: 'notifications', summary: 'Send a "test" notification to one target now; a failure is a GH_NOTIFY_FAILED problem saying why',
    params: closed({ name: NAME }),
    response: Type.Object({ target: Type.String(), kind: Type.String(), ok: Type.Boolean(), at: Type.String() }),
    handler: async ({ admin, params, principal }) => {
      const g = admin.gatehouse;
      const target = g.notifications.target(params.name);
      const { Notifier } = await import('../notify/notifier.js');
      const at = g.clock().toISOString();
      await new Notifier(g.notifications).send(target, { kind: 'test', at, detail: `A test notification for the target "${target.name}", sent by ${principal?.user ?? 'the admin API'}.` });
      return { target: target.name, kind: target.kind, ok: true, at };
    },
  }),
];
