import { createRouter } from '../platform/openapi';

export const transactionsRoutes = createRouter();
