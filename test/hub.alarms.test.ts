import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { AlarmSchedule } from '../durable-objects/alarms';

/** A fresh hub's storage, wrapped in the schedule the hub's subsystems share. */
async function withSchedule(work: (schedule: AlarmSchedule, storage: DurableObjectStorage) => Promise<void>) {
  const hub = env.ORG_HUB.get(env.ORG_HUB.idFromName(`alarms-${crypto.randomUUID()}`));
  await runInDurableObject(hub, (_instance, state) => work(new AlarmSchedule(state.storage), state.storage));
}

describe('happy', () => {
  it('keeps the one alarm at the earliest due time of its subsystems', async () => {
    await withSchedule(async (schedule, storage) => {
      const now = Date.now();
      await schedule.schedule('later', now + 60_000);
      await schedule.schedule('sooner', now + 5_000);
      expect(await storage.getAlarm()).toBe(now + 5_000);
      // An earlier time already set is kept; a deadline that moved is rescheduled exactly.
      await schedule.schedule('sooner', now + 30_000);
      expect(await schedule.dueAt('sooner')).toBe(now + 5_000);
      await schedule.reschedule('later', now + 90_000);
      expect(await schedule.dueAt('later')).toBe(now + 90_000);
    });
  });

  it('runs what is due when the alarm fires, early runs included, and re-arms for the rest', async () => {
    await withSchedule(async (schedule, storage) => {
      const now = Date.now();
      const ran: string[] = [];
      await schedule.schedule('flush', now + 60_000);
      await schedule.schedule('digest', now + 300_000);
      // The alarm run early stands for its armed time: flush is due, the digest is not.
      await schedule.run({
        flush: async () => void ran.push('flush'),
        digest: async () => void ran.push('digest'),
      });
      expect(ran).toEqual(['flush']);
      expect(await schedule.dueAt('flush')).toBeUndefined();
      expect(await storage.getAlarm()).toBe(now + 300_000);
    });
  });
});

describe('errors', () => {
  it('retries a failing task later without holding up the others', async () => {
    await withSchedule(async (schedule) => {
      const now = Date.now();
      const ran: string[] = [];
      await schedule.schedule('broken', now);
      await schedule.schedule('healthy', now);
      await schedule.run({
        broken: async () => {
          throw new Error('database unreachable');
        },
        healthy: async () => void ran.push('healthy'),
      });
      expect(ran).toEqual(['healthy']);
      expect(await schedule.dueAt('broken')).toBeGreaterThan(now + 20_000);
    });
  });
});
