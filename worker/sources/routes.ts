import { createRouter } from '../platform/openapi';

export const sourcesRoutes = createRouter();
