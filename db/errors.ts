/** Whether `error` (or its cause, as drizzle wraps driver errors) is Postgres' unique violation on `constraint`. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const pg = cause as { code?: string; constraint_name?: string };
  return pg?.code === '23505' && pg.constraint_name === constraint;
}
