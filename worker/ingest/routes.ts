import { createRouter } from '../platform/openapi';

export const ingestRoutes = createRouter();
