/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC:
 * `*`, lists `1,15`, ranges `1-5`, steps `*\/15` and `10-50/20`. Day-of-week 0 and 7 are Sunday.
 * As in Vixie cron, when both day fields are restricted a day matching either one fires.
 */
type CronSchedule = {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
};

type FieldSpec = { name: string; min: number; max: number };

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

export class CronError extends Error {}

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new CronError('A cron expression has exactly five fields: minute hour day-of-month month day-of-week.');
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = parts.map((part, index) =>
    parseField(part, FIELDS[index]!),
  );
  // 7 is another name for Sunday.
  const daysOfWeek = new Set([...rawDaysOfWeek!].map((day) => day % 7));
  const schedule: CronSchedule = {
    minutes: minutes!,
    hours: hours!,
    daysOfMonth: daysOfMonth!,
    months: months!,
    daysOfWeek,
    dayOfMonthRestricted: parts[2] !== '*',
    dayOfWeekRestricted: parts[4] !== '*',
  };
  if (!nextCronRun(schedule, new Date(Date.UTC(2000, 0, 1)))) throw new CronError('This cron expression never fires.');
  return schedule;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new CronError(`The ${spec.name} field has an invalid item "${item}".`);
    const [, whole, low, high, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    const start = whole === '*' ? spec.min : Number(low);
    // A single value with a step (`5/15`) runs from that value to the end of the range, as in cron.
    const end = whole === '*' || (high === undefined && stepText !== undefined) ? spec.max : Number(high ?? low);
    if (start < spec.min || end > spec.max || start > end) {
      throw new CronError(`The ${spec.name} field must stay within ${spec.min}-${spec.max} ("${item}").`);
    }
    if (step < 1) throw new CronError(`The ${spec.name} field has a step below 1 ("${item}").`);
    for (let value = start; value <= end; value += step) values.add(value);
  }
  return values;
}

const MINUTE = 60_000;
// Enough to find any real schedule (Feb 29 on a Monday recurs within 28 years).
const SEARCH_YEARS = 30;

/** The first minute strictly after `after` that the schedule fires at, or null if it never does. */
export function nextCronRun(schedule: CronSchedule, after: Date): Date | null {
  const limit = after.getTime() + SEARCH_YEARS * 366 * 24 * 60 * MINUTE;
  const at = new Date(Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE);
  while (at.getTime() <= limit) {
    if (!schedule.months.has(at.getUTCMonth() + 1)) {
      at.setUTCMonth(at.getUTCMonth() + 1, 1);
      at.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(schedule, at)) {
      at.setUTCDate(at.getUTCDate() + 1);
      at.setUTCHours(0, 0, 0, 0);
    } else if (!schedule.hours.has(at.getUTCHours())) {
      at.setUTCHours(at.getUTCHours() + 1, 0, 0, 0);
    } else if (!schedule.minutes.has(at.getUTCMinutes())) {
      at.setTime(at.getTime() + MINUTE);
    } else {
      return at;
    }
  }
  return null;
}

function dayMatches(schedule: CronSchedule, at: Date): boolean {
  const byMonthDay = schedule.daysOfMonth.has(at.getUTCDate());
  const byWeekDay = schedule.daysOfWeek.has(at.getUTCDay());
  if (schedule.dayOfMonthRestricted && schedule.dayOfWeekRestricted) return byMonthDay || byWeekDay;
  return byMonthDay && byWeekDay;
}

/**
 * The shortest time between two runs, in minutes, judged from the minute and hour fields: the gap
 * between fired minutes of one hour, and from an hour's last minute to the next hour's first when
 * two consecutive hours fire (23 and 0 count as consecutive, whatever the day fields say).
 */
export function shortestIntervalMinutes(schedule: CronSchedule): number {
  const minutes = [...schedule.minutes].sort((a, b) => a - b);
  let shortest = minutes.length === 1 ? 60 : Number.POSITIVE_INFINITY;
  for (let i = 1; i < minutes.length; i++) shortest = Math.min(shortest, minutes[i]! - minutes[i - 1]!);
  const consecutiveHours = [...schedule.hours].some((hour) => schedule.hours.has((hour + 1) % 24));
  if (consecutiveHours) shortest = Math.min(shortest, 60 - minutes[minutes.length - 1]! + minutes[0]!);
  return shortest;
}
