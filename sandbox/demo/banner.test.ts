import { describe, expect, it } from 'vitest'
import { runningBanner } from './banner'
import { DEFAULT_PORTS, HELP } from './options'

const urls = (p: { store: number; collector: number; klaviyo: number; console: number }) => ({
  store: `http://127.0.0.1:${p.store}`,
  storeOtherDevice: `http://localhost:${p.store}`,
  inbox: `http://127.0.0.1:${p.console}/inbox`,
  journey: `http://127.0.0.1:${p.console}/journey`,
  console: `http://127.0.0.1:${p.console}`,
  collector: `http://127.0.0.1:${p.collector}`,
  klaviyo: `http://127.0.0.1:${p.klaviyo}`,
})

describe('the demo start output', () => {
  it('names every port flag with the port in use, and where the rest of the options are', () => {
    const text = runningBanner({ urls: urls(DEFAULT_PORTS), eventsFile: '.sandbox/events.jsonl', startedInMs: 812 })
    expect(text).toContain('Store, this browser     http://127.0.0.1:8780/')
    expect(text).toContain('Other ports: npm run demo -- --port 8780 --collector-port 8781 --klaviyo-port 8782 --console-port 8783   (all options: npm run demo -- --help)')
    // Every flag it names is one --help documents.
    for (const flag of text.match(/--[a-z-]+-port|--port/g) ?? []) expect(HELP).toContain(flag)
  })

  it('gives the SPA example the ports of this run', () => {
    const text = runningBanner({ urls: urls({ store: 9780, collector: 9781, klaviyo: 9782, console: 9783 }), eventsFile: 'x.jsonl', startedInMs: 1 })
    expect(text).toContain('--port 9780 --collector-port 9781 --klaviyo-port 9782 --console-port 9783')
    expect(text).toContain('MAILSTITCH_COLLECTOR_PORT=9781 MAILSTITCH_KLAVIYO_PORT=9782 MAILSTITCH_DEMO=1 npm run dev')
  })
})

describe('npm run demo -- --help', () => {
  it('documents a flag and an env variable for each port', () => {
    for (const flag of ['--port', '--collector-port', '--klaviyo-port', '--console-port']) expect(HELP).toMatch(new RegExp(`^  ${flag} <n>`, 'm'))
    for (const env of ['MAILSTITCH_DEMO_PORT', 'MAILSTITCH_COLLECTOR_PORT', 'MAILSTITCH_KLAVIYO_PORT', 'MAILSTITCH_CONSOLE_PORT']) expect(HELP).toContain(env)
  })
})
