import { describe, expect, it } from 'vitest'
import { DEFAULT_PORTS, demoOptionsFromArgs } from './options'

describe('demoOptionsFromArgs', () => {
  it('reads ports from env and flags (flags win), and other options', () => {
    expect(demoOptionsFromArgs(['--port', '9000', '--klaviyo-port=9002', '--keep-events', '--data-dir', '/tmp/x'], { MAILSTITCH_DEMO_PORT: '8000', MAILSTITCH_CONSOLE_PORT: '9003' })).toEqual({
      ports: { store: 9000, klaviyo: 9002, console: 9003 },
      keepEvents: true,
      dataDir: '/tmp/x',
    })
  })

  it('refuses bad values with a message, and knows --help', () => {
    expect(demoOptionsFromArgs(['--port', 'abc'], {})).toMatch(/--port must be a port number/)
    expect(demoOptionsFromArgs([], { MAILSTITCH_COLLECTOR_PORT: '70000' })).toMatch(/MAILSTITCH_COLLECTOR_PORT must be a port number/)
    expect(demoOptionsFromArgs(['--what'], {})).toMatch(/unknown option "--what"/)
    expect(demoOptionsFromArgs(['--port'], {})).toMatch(/--port must be/)
    expect(demoOptionsFromArgs(['-h'], {})).toBe('help')
  })

  it('reads the checkout mode (--checkout, MAILSTITCH_DEMO_CHECKOUT) and refuses others', () => {
    expect(demoOptionsFromArgs(['--checkout', 'shopify'], {})).toMatchObject({ checkout: 'shopify' })
    expect(demoOptionsFromArgs(['--checkout=browser'], { MAILSTITCH_DEMO_CHECKOUT: 'shopify' })).toMatchObject({ checkout: 'browser' })
    expect(demoOptionsFromArgs([], { MAILSTITCH_DEMO_CHECKOUT: 'shopify' })).toMatchObject({ checkout: 'shopify' })
    expect(demoOptionsFromArgs(['--checkout', 'paypal'], {})).toMatch(/--checkout must be browser or shopify/)
    expect(demoOptionsFromArgs([], {})).not.toHaveProperty('checkout')
  })

  it('has fixed default ports', () => {
    expect(DEFAULT_PORTS).toEqual({ store: 8780, collector: 8781, klaviyo: 8782, console: 8783 })
  })
})
