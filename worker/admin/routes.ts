import { createRouter } from '../platform/openapi';

export const adminRoutes = createRouter();
