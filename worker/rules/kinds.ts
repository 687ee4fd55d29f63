/** The rules' enumerations, in a module of their own so that the dashboard can import them. */

export const VERSION_STATUSES = ['draft', 'approved', 'rejected', 'superseded'] as const;
