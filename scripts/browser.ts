import { existsSync } from 'node:fs'

/** Flags headless Chromium needs on a closed-network CI machine running as root. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** The system Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium); undefined = Playwright's own. */
export function chromiumPath(): string | undefined {
  const p = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
  return existsSync(p) ? p : undefined
}

/** Launch options for Playwright's chromium (a fresh profile is Playwright's default). */
export function chromiumLaunchOptions(): { executablePath?: string; args: string[] } {
  return { executablePath: chromiumPath(), args: CHROMIUM_ARGS }
}
