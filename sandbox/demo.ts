/**
 * `npm run demo`: the whole mailstitch journey on one machine, in one process, with no keys and
 * no network. Starts the Segment collector (JSON lines in .sandbox/events.jsonl), the Klaviyo
 * emulator, the demo store (on 127.0.0.1 and localhost: two host names, two cookie jars, two
 * "devices"), the relay following the emulator every 2 s, and the console (email simulator and
 * journey viewer). `startDemo()` is also what the flagship e2e test runs, on ephemeral ports.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runDemoCli } from './demo/cli'

export {
  COMPANY_ID,
  DEFAULT_PORTS,
  DemoPortError,
  LIST_ID,
  PRIVATE_KEY,
  RELAY_WRITE_KEY,
  SITE_WRITE_KEY,
  demoOptionsFromArgs,
  type DemoOptions,
  type PortName,
} from './demo/options'
export { startDemo, type Demo, type DemoUrls } from './demo/start'

const isMain = (() => {
  try {
    return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
})()
if (isMain) void runDemoCli()
