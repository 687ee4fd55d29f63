import { createRouter } from '../platform/openapi';

export const scansRoutes = createRouter();
