/**
 * Test helper: the sandbox Klaviyo emulator and/or Segment collector for a test file, on 127.0.0.1
 * with ephemeral ports, closed afterwards. Lifetime `'file'` (the default) starts them once and
 * resets them (data, faults, latency) before each test; `'test'` starts fresh ones for each test.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { startKlaviyoEmulator, type KlaviyoEmulator, type KlaviyoEmulatorOptions } from '../../sandbox/klaviyo-emulator'
import { startSegmentCollector, type SegmentCollector, type SegmentCollectorOptions } from '../../sandbox/segment-collector'

/** Which services to start, with their options, and for how long. */
export interface SandboxServicesOptions {
  /** Start a Klaviyo emulator with these options. */
  klaviyo?: KlaviyoEmulatorOptions
  /** Start a Segment collector with these options. */
  segment?: SegmentCollectorOptions
  /** `'file'` (default): once, reset before each test; `'test'`: fresh for each test. */
  lifetime?: 'test' | 'file'
}

/** The running services; each throws when read outside a test or when it was not asked for. */
export interface SandboxServices {
  readonly klaviyo: KlaviyoEmulator
  readonly segment: SegmentCollector
}

/** Register the hooks that start, reset and close the services; read them inside tests. */
export function useSandboxServices(options: SandboxServicesOptions): SandboxServices {
  let klaviyo: KlaviyoEmulator | undefined
  let segment: SegmentCollector | undefined
  const start = async () => {
    if (options.klaviyo) klaviyo = await startKlaviyoEmulator(options.klaviyo)
    if (options.segment) segment = await startSegmentCollector(options.segment)
  }
  const close = async () => {
    await klaviyo?.close()
    await segment?.close()
    klaviyo = undefined
    segment = undefined
  }
  if (options.lifetime === 'test') {
    beforeEach(start)
    afterEach(close)
  } else {
    beforeAll(start)
    afterAll(close)
    beforeEach(() => {
      klaviyo?.reset()
      segment?.reset()
    })
  }
  return {
    get klaviyo() {
      if (!klaviyo) throw new Error('useSandboxServices: no Klaviyo emulator here (not asked for, or read outside a test)')
      return klaviyo
    },
    get segment() {
      if (!segment) throw new Error('useSandboxServices: no Segment collector here (not asked for, or read outside a test)')
      return segment
    },
  }
}
