import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions } from './scripts/browser'

// End-to-end tests drive real Chromium against real analytics-next and the local emulators.
// Every server binds 127.0.0.1 on an ephemeral port; no test reaches the internet.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  // No retries: a test that passes only on a second try is a failure (scripts/test-all.mjs counts `flaky` as failed).
  retries: 0,
  workers: process.env.CI ? 2 : undefined,
  reporter: [['list'], ['json', { outputFile: '.reports/e2e.json' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
  },
})
