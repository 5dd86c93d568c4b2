/** Test helper: relays a test creates (createRelay) are stopped after it, whatever it left running. */
import { afterEach } from 'vitest'
import { createRelay, type Relay, type RelayOptions } from '../../src/relay/relay'

/** Register the hook that stops them; returns a factory of relays with `defaults()` under each test's `extra` options. */
export function useRelays(defaults: () => RelayOptions): (extra?: Partial<RelayOptions>) => Relay {
  const relays: Relay[] = []
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()))
  })
  return (extra = {}) => {
    const relay = createRelay({ ...defaults(), ...extra })
    relays.push(relay)
    return relay
  }
}
