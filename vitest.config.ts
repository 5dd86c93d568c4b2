import { defineConfig } from 'vitest/config'

// Unit tests live beside the code they test (`*.test.ts`). Browser-SDK tests opt into
// happy-dom with a `// @vitest-environment happy-dom` docblock; the rest run in Node.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'sandbox/**/*.test.ts', 'scripts/**/*.test.ts', 'deploy/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
