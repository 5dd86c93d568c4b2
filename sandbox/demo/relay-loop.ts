/** The demo's relay: `mailstitch relay poll --follow`, in-process, with a status for the viewer. */
import type { Relay } from '../../src/relay/index'
import type { RelayStatus } from './console'

/** A running follow loop. */
export interface RelayLoop {
  /** Live status (the viewer copies it). */
  status: RelayStatus
  /** Run one poll now (tests use it instead of waiting for the interval). */
  pollNow(): Promise<void>
  /** Stop the loop and wait for it. */
  stop(): Promise<void>
}

/** Follow Klaviyo every `interval` seconds until stopped, restarting after a fatal error. */
export function followRelay(relay: Relay, interval: number, log: (line: string) => void): RelayLoop {
  const status: RelayStatus = { running: true, intervalSeconds: interval, polls: 0, sent: 0 }
  let closing = false
  const onPoll = (s: { sent: number }) => {
    status.polls++
    status.sent += s.sent
    status.lastPollAt = new Date().toISOString()
    status.lastError = undefined
    if (s.sent) log(`relay: sent ${s.sent} email event${s.sent === 1 ? '' : 's'} to Segment`)
  }
  // `mailstitch relay poll --follow`, in-process. A fatal error (it should not happen against the
  // emulator) is shown in the viewer and the loop restarts, as a supervisor would restart the CLI.
  const following = (async () => {
    while (!closing) {
      try {
        await relay.follow({
          intervalSeconds: interval,
          onPoll,
          onError: (e) => {
            status.lastError = e.message
            log(`relay: poll failed, retrying: ${e.message}`)
          },
        })
      } catch (e) {
        if (closing) break
        status.lastError = e instanceof Error ? e.message : String(e)
        log(`relay: ${status.lastError} (restarting in ${interval} s)`)
        await new Promise((r) => setTimeout(r, interval * 1000))
      }
      if (!closing) await new Promise((r) => setTimeout(r, 50))
    }
    status.running = false
  })()

  return {
    status,
    async pollNow() {
      onPoll(await relay.pollOnce())
    },
    async stop() {
      closing = true
      await relay.stop()
      await following
    },
  }
}
