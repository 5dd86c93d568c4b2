// ESLint flat config (`npm run lint`). Issue 11: the browser runtimes read as plain, named steps —
// no comma sequences, no bit tricks, no function a reader cannot hold in mind (≈ 60 lines).
// Other folders may opt in by adding their globs to READABLE below.
import tseslint from 'typescript-eslint'

/** Source held to the readability rules (tests are not: long table-driven `describe`s are fine). */
const READABLE = ['src/browser/**/*.ts', 'src/shopify/**/*.ts', 'src/snippet/**/*.ts']

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.test.ts'] },
  {
    files: READABLE,
    languageOptions: { parser: tseslint.parser },
    rules: {
      'no-sequences': ['error', { allowInParentheses: false }],
      'no-bitwise': 'error',
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
)
