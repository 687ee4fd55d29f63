import { ApiProblem } from './api';

/** True when the server has no route for the call: the feature is not deployed, not a failure of the data. */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 404 && error.detail.startsWith('No route matches');
}
