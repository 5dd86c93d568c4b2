import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

/** Where the Vitest tests live (`*.test.ts` beside the code they test). */
export const TEST_FILES = ['src/**/*.test.ts', 'sandbox/**/*.test.ts', 'scripts/**/*.test.ts', 'deploy/**/*.test.ts']

// `npm run test:unit`: the unit tests, on a fresh clone without a build. Browser-SDK tests opt
// into happy-dom with a `// @vitest-environment happy-dom` docblock; the rest run in Node.
// `*.integration.test.ts` run in vitest.integration.config.ts (`npm run test:integration`).
export default defineConfig({
  test: {
    include: TEST_FILES,
    exclude: ['**/node_modules/**', '**/*.integration.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Vitest leaves a core free (one worker on a 2-core machine); the unit tests wait on fake time,
    // not on the CPU, so two workers there take the suite from ~61 s to ~42 s (issue 23: < 1 min).
    maxWorkers: Math.max(2, availableParallelism()),
  },
})
