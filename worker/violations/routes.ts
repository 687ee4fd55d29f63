import { createRouter } from '../platform/openapi';

export const violationsRoutes = createRouter();
