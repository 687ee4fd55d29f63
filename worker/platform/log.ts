type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The one logger: a JSON line per event, which Workers observability indexes by field. */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ timestamp: new Date().toISOString(), level, message, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
