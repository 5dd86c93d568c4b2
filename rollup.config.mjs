import { existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import esbuild from 'rollup-plugin-esbuild'
import resolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import dts from 'rollup-plugin-dts'

// Browser code targets what Shopify and Segment support: evergreen browsers, Safari 14+ (ES2020).
const browserTarget = 'es2020'
const nodeExternal = (id) =>
  id.startsWith('node:') || builtinModules.includes(id) || /^(klaviyo-api|@segment\/analytics-node)(\/|$)/.test(id)

/**
 * terser settings of the script-tag bundles. The preamble is V8's explicit compile hint
 * (https://v8.dev/blog/explicit-compile-hints, Chrome 136+; other engines read a comment): the
 * whole file is compiled while it streams in, off the main thread, instead of each function on
 * the main thread at its first call. Measured on the core (bench row 2's page, storage warmed,
 * 15 loads each, same run): 2.27 ms median main-thread time without it, 0.84 ms with it.
 */
const browserTerser = (passes) => ({
  ecma: 2020,
  compress: { passes, unsafe_arrows: true, unsafe_methods: true },
  format: { comments: false, preamble: '//# allFunctionsCalledOnLoad' },
})

/** terser settings of mailstitch/snippet (see browserTerser; no compile hint: the snippet is inline; ES2021 below). */
const snippetTerser = { ecma: 2021, compress: { passes: 2, unsafe_arrows: true }, format: { comments: false } }

const hasRelay = existsSync('src/relay/index.ts')
const hasCli = existsSync('src/cli/main.ts')
const hasWebhook = existsSync('src/webhook/worker.ts')

export default [
  // Script tag / Shopify theme: the core, a minified IIFE on every page. Its entry starts
  // instances that reach the runner as the second file below (src/browser/script-api.ts); the core
  // (src/browser/core/) never imports the runner (src/browser/runner/), so nothing else is needed. Its source map ships
  // beside it without a sourceMappingURL comment (load it in devtools when needed): every byte
  // counts here.
  {
    input: 'src/browser/script-tag.ts',
    output: { file: 'dist/mailstitch.min.js', format: 'iife', sourcemap: 'hidden', plugins: [terser(browserTerser(3))] },
    plugins: [resolve({ browser: true }), esbuild({ target: browserTarget })],
  },
  // Its runner, loaded by the core from beside itself on a page with a landing or a job to run.
  {
    input: 'src/browser/runner-tag.ts',
    output: { file: 'dist/mailstitch-runner.min.js', format: 'iife', sourcemap: 'hidden', plugins: [terser(browserTerser(3))] },
    plugins: [resolve({ browser: true }), esbuild({ target: browserTarget })],
  },
  // Shopify theme add-on (cart bridge, logged-in customer id), loaded after mailstitch.min.js.
  {
    input: 'src/shopify/index.ts',
    output: { file: 'dist/mailstitch-shopify.min.js', format: 'iife', sourcemap: true, plugins: [terser(browserTerser(2))] },
    plugins: [resolve({ browser: true }), esbuild({ target: browserTarget })],
  },
  // npm: ESM + CJS for the app's bundler.
  {
    input: 'src/browser/index.ts',
    external: ['js-cookie'], // a dependency of the package: the app's bundler resolves it
    output: [
      // One file each: inlineDynamicImports puts the runner (index.ts's dynamic import) into the same
      // file, so the app's bundler sees no import to split and the runner loads with the core.
      { file: 'dist/index.mjs', format: 'es', sourcemap: true, inlineDynamicImports: true },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', inlineDynamicImports: true },
    ],
    plugins: [esbuild({ target: browserTarget })],
  },
  { input: 'src/browser/index.ts', output: { file: 'dist/index.d.ts', format: 'es' }, plugins: [dts()] },
  // mailstitch/snippet: renders the inline snippet. Minified so that the function it prints (its
  // own source, src/snippet/inline.ts) is the minified text every page carries (≤ 1 KB, size-check).
  {
    input: 'src/snippet/index.ts',
    output: [
      { file: 'dist/snippet.mjs', format: 'es', plugins: [terser(snippetTerser)] },
      { file: 'dist/snippet.cjs', format: 'cjs', exports: 'named', plugins: [terser(snippetTerser)] },
    ],
    // ES2021 for `||=` (Safari 14.0, Chrome 85, Firefox 79: inside the browser target above).
    plugins: [esbuild({ target: 'es2021' })],
  },
  { input: 'src/snippet/index.ts', output: { file: 'dist/snippet.d.ts', format: 'es' }, plugins: [dts()] },
  // The server bundles' source maps map stack traces to src/ lines without carrying the sources
  // (1.4 MB of them): the package stays within what a browser-SDK install may add (2.5 MB,
  // e2e/package/install-weight.spec.ts).
  ...(hasRelay
    ? [
        {
          input: 'src/relay/index.ts',
          external: nodeExternal,
          output: [
            { file: 'dist/relay/index.mjs', format: 'es', sourcemap: true, sourcemapExcludeSources: true },
            { file: 'dist/relay/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', sourcemapExcludeSources: true },
          ],
          plugins: [resolve({ preferBuiltins: true }), esbuild({ target: 'node20' })],
        },
        { input: 'src/relay/index.ts', external: nodeExternal, output: { file: 'dist/relay/index.d.ts', format: 'es' }, plugins: [dts()] },
      ]
    : []),
  // Serverless webhook entries (mailstitch/relay/worker, mailstitch/relay/lambda): separate outputs,
  // self-contained (Web APIs only, no dependencies), nothing shared with the browser bundle or the CLI.
  ...(hasWebhook
    ? [
        {
          input: 'src/webhook/worker.ts',
          output: { file: 'dist/relay/worker.mjs', format: 'es', sourcemap: true, sourcemapExcludeSources: true },
          plugins: [esbuild({ target: 'es2022' })],
        },
        { input: 'src/webhook/worker.ts', output: { file: 'dist/relay/worker.d.ts', format: 'es' }, plugins: [dts()] },
        {
          input: 'src/webhook/lambda.ts',
          output: [
            { file: 'dist/relay/lambda.mjs', format: 'es', sourcemap: true, sourcemapExcludeSources: true },
            { file: 'dist/relay/lambda.cjs', format: 'cjs', sourcemap: true, exports: 'named', sourcemapExcludeSources: true },
          ],
          plugins: [esbuild({ target: 'node20' })],
        },
        { input: 'src/webhook/lambda.ts', output: { file: 'dist/relay/lambda.d.ts', format: 'es' }, plugins: [dts()] },
      ]
    : []),
  ...(hasCli
    ? [
        {
          input: 'src/cli/main.ts',
          external: nodeExternal,
          output: { file: 'dist/cli.mjs', format: 'es', banner: '#!/usr/bin/env node' },
          plugins: [resolve({ preferBuiltins: true }), esbuild({ target: 'node20' })],
        },
      ]
    : []),
]
