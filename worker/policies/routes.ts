import { createRouter } from '../platform/openapi';

export const policiesRoutes = createRouter();
