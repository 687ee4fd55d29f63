import { createRouter } from '../platform/openapi';

export const rulesRoutes = createRouter();
