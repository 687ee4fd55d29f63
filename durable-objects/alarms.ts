import { log } from '../worker/platform/log';

/** Work one of the hub's subsystems does when its alarm time comes. */
export type AlarmTask = (now: number) => Promise<void>;

const KEY_PREFIX = 'alarm:';
/** When the one alarm is set for: an alarm that fires (or is run early, as tests do) stands for that time. */
const ARMED_KEY = 'alarms.armed';
/** A task that failed runs again this much later; the others are not held up by it. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * A Durable Object has a single alarm. Each subsystem of the hub (usage flush, case deadlines,
 * alert digests, ticket expiry...) keeps its own due time here under its name, and the one alarm
 * is always set at the earliest of them.
 */
export class AlarmSchedule {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** Due at `at` (ms since the epoch) at the latest: an earlier time already set is kept. */
  async schedule(name: string, at: number): Promise<void> {
    const current = await this.storage.get<number>(KEY_PREFIX + name);
    if (current !== undefined && current <= at) return;
    await this.set(name, at);
  }

  /** Due exactly at `at`, earlier or later than before (a deadline that moved). */
  async reschedule(name: string, at: number): Promise<void> {
    await this.set(name, at);
  }

  async cancel(name: string): Promise<void> {
    await this.storage.delete(KEY_PREFIX + name);
  }

  async dueAt(name: string): Promise<number | undefined> {
    return this.storage.get<number>(KEY_PREFIX + name);
  }

  /** The alarm handler: runs each task that is due, then sets the alarm at the earliest time left. */
  async run(tasks: Record<string, AlarmTask>): Promise<void> {
    const now = Math.max(Date.now(), (await this.storage.get<number>(ARMED_KEY)) ?? 0);
    await this.storage.delete(ARMED_KEY);
    for (const [key, at] of await this.storage.list<number>({ prefix: KEY_PREFIX })) {
      if (at > now) continue;
      const name = key.slice(KEY_PREFIX.length);
      await this.storage.delete(key);
      const task = tasks[name];
      if (!task) continue;
      try {
        await task(now);
      } catch (error) {
        log('error', 'hub alarm task failed', { task: name, error: String(error) });
        await this.schedule(name, Date.now() + RETRY_AFTER_FAILURE_MS);
      }
    }
    await this.armEarliest();
  }

  private async set(name: string, at: number): Promise<void> {
    await this.storage.put(KEY_PREFIX + name, at);
    const alarm = await this.storage.getAlarm();
    if (alarm === null || at < alarm) await this.arm(at);
  }

  private async arm(at: number): Promise<void> {
    await this.storage.setAlarm(at);
    await this.storage.put(ARMED_KEY, at);
  }

  private async armEarliest(): Promise<void> {
    const times = [...(await this.storage.list<number>({ prefix: KEY_PREFIX })).values()];
    if (times.length === 0) return;
    await this.arm(Math.min(...times));
  }
}
