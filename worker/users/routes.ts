import { createRouter } from '../platform/openapi';

export const usersRoutes = createRouter();
