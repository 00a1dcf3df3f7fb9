import type { AdminRoute } from './admin-route.js';
import { certificateRoutes } from './certificate-routes.js';
import { identityRoutes } from './identity-routes.js';
import { requestRoutes } from './request-routes.js';
import { serverRoutes } from './server-routes.js';
import { siteRoutes } from './site-routes.js';
import { serviceRoutes } from './service-routes.js';
import { acmeRoutes } from './acme-routes.js';
import { notificationRoutes } from './notification-routes.js';
import { renewalRoutes } from './renewal-routes.js';

/** Every admin API route: the one table the server, the OpenAPI document and the permission tests are made from. */
export const ROUTES: readonly AdminRoute[] = [...identityRoutes, ...certificateRoutes, ...requestRoutes, ...acmeRoutes, ...siteRoutes, ...serviceRoutes, ...renewalRoutes, ...notificationRoutes, ...serverRoutes];

export const API_PREFIX = '/api/v1';
