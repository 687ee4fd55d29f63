/** The scans' enumerations, in a module of their own so that the dashboard can import them. */

export const FREQUENCIES = ['hourly', 'daily', 'weekly', 'cron'] as const;
