import dns from 'node:dns';
import { it } from 'vitest';

it('probe', async () => {
  for (const name of ['example.test', '10.0.0.1']) {
    try {
      console.log(name, await dns.promises.resolve4(name));
    } catch (e) {
      console.log(name, 'ERR', String(e), (e as any).code);
    }
    try {
      console.log(name, await dns.promises.resolve6(name));
    } catch (e) {
      console.log(name, 'ERR6', String(e), (e as any).code);
    }
  }
});
