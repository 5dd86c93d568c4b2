import { rollup } from 'rollup'
import esbuild from 'rollup-plugin-esbuild'
import resolve from '@rollup/plugin-node-resolve'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'
const b = await rollup({ input: 'src/browser/script-tag.ts', plugins: [resolve({ browser: true }), esbuild({ target: 'es2020' })] })
const { output } = await b.generate({ format: 'iife' })
const r = await minify(output[0].code, { ecma: 2020, compress: { passes: 3, unsafe_arrows: true, unsafe_methods: true }, format: { comments: false, preamble: '//# allFunctionsCalledOnLoad' } })
console.log(r.code.length, gzipSync(r.code).length)
