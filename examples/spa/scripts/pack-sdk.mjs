#!/usr/bin/env node
// Pack the mailstitch package from this repository (as `npm publish` would ship it) into
// vendor/mailstitch.tgz, which package.json installs: the example uses mailstitch exactly as an
// app that ran `npm install mailstitch` does. Builds the package first unless --no-build.
import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(dirname(fileURLToPath(import.meta.url)))
const repo = resolve(here, '../..')
const out = resolve(process.argv.find((a) => a.startsWith('--out='))?.slice(6) || join(here, 'vendor'))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

if (!process.argv.includes('--no-build')) execFileSync(npm, ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' })
mkdirSync(out, { recursive: true })
const [info] = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', out], { cwd: repo, encoding: 'utf8' }))
renameSync(join(out, info.filename), join(out, 'mailstitch.tgz'))
console.log(`pack-sdk: ${info.name}@${info.version} (${info.entryCount} files, ${info.size} B) → ${join(out, 'mailstitch.tgz')}`)
