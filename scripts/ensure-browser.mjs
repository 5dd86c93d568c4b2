// Find a Chromium for the browser tests: CHROMIUM_PATH, the system /usr/bin/chromium, or else
// install Playwright's own. Never skip silently: without a browser this exits non-zero.
import { existsSync } from 'node:fs'
import { execSync } from 'node:child_process'

const system = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
if (existsSync(system)) {
  console.log(`browser: ${system}`)
} else {
  console.log(`browser: ${system} not found; installing Playwright's chromium`)
  try {
    execSync('npx playwright install chromium', { stdio: 'inherit' })
  } catch {
    console.error('No Chromium: set CHROMIUM_PATH, or `apt-get install -y chromium`, or allow `npx playwright install chromium`.')
    process.exit(1)
  }
}
