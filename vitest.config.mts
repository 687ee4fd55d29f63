import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { testOutbound } from './test/outbound.js';

// Integration tests run inside workerd with the real bindings of wrangler.toml; the global setup
// provides a real Postgres (TEST_DATABASE_URL, or an embedded PGlite) behind the Hyperdrive binding.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        hyperdrives: { HYPERDRIVE: inject('pgUrl') },
        bindings: {
          APP_ENV: 'test',
          PASSWORD_COST: 'test',
          JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef0123456789',
          SOURCE_SECRET_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
          // Alerts go to the local receivers of the global setup (loopback, plain http).
          ALERT_ALLOW_PRIVATE_URLS: 'true',
          // Connectors read the local customer database and ERP API of the global setup.
          CONNECTOR_ALLOW_PRIVATE_HOSTS: 'true',
          SMTP_URL: inject('smtpUrl'),
          SMTP_FROM: 'alerts@nitilens.test',
          APP_BASE_URL: 'https://app.nitilens.test',
          METRICS_TOKEN: 'test-metrics-token-0123456789',
        },
        outboundService: testOutbound,
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    globalSetup: ['./test/global-setup.ts'],
    // Request logs only for failing tests: a green run stays readable.
    silent: 'passed-only',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
