import { defineConfig } from 'vitest/config'
import { TEST_FILES } from './vitest.config'

// `npm run test:integration` (builds first): the `*.integration.test.ts` files. They use `dist/`
// (the built CLI, the npm entries, the deploy recipes), start child processes, workerd
// (miniflare) or the TypeScript compiler, or run the relay end to end against the emulators.
export default defineConfig({
  test: {
    include: TEST_FILES.map((files) => files.replace(/\.test\.ts$/, '.integration.test.ts')),
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
