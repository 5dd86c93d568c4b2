/** What `npm run demo` prints once it runs: where everything is, and how to move it. */
import { PORT_SETTINGS, type PortName } from './options'
import type { DemoUrls } from './start'

/** Inputs of {@link runningBanner}. */
export interface BannerInput {
  urls: DemoUrls
  /** events.jsonl, as the user should type it. */
  eventsFile: string
  startedInMs: number
}

const portOf = (url: string) => new URL(url).port

/** The start output: URLs, the flags that change each port, and the SPA example's switch. */
export function runningBanner({ urls: u, eventsFile, startedInMs }: BannerInput): string {
  const ports: Record<PortName, string> = { store: portOf(u.store), collector: portOf(u.collector), klaviyo: portOf(u.klaviyo), console: portOf(u.console) }
  const portFlags = (Object.keys(PORT_SETTINGS) as PortName[]).map((n) => `${PORT_SETTINGS[n].flag} ${ports[n]}`).join(' ')
  return `
mailstitch demo is running (started in ${startedInMs} ms)

  Store, this browser     ${u.store}/
  Store, another device   ${u.storeOtherDevice}/   (other host name = separate cookies)
  Email simulator         ${u.inbox}
  Journey viewer          ${u.journey}
  Start here              ${u.console}/

  Segment collector       ${u.collector}   (events also in ${eventsFile})
  Klaviyo emulator        ${u.klaviyo}
  Relay                   polling the emulator every 2 s

Walk: browse the store, subscribe in the footer, send a campaign in the simulator, click its link
on "another device", place an order, and watch it in the journey viewer. Ctrl-C stops.
Terminal view of the same data: npx tsx src/cli/main.ts journey ${eventsFile}

Other ports: npm run demo -- ${portFlags}   (all options: npm run demo -- --help)
The SPA example against this demo: cd examples/spa && MAILSTITCH_COLLECTOR_PORT=${ports.collector} MAILSTITCH_KLAVIYO_PORT=${ports.klaviyo} MAILSTITCH_DEMO=1 npm run dev
`
}
