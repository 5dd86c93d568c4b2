/** The demo's fixed names (ports, keys, ids) and its options from flags and env. */

/** Fixed default ports (override with env or flags). */
export const DEFAULT_PORTS = { store: 8780, collector: 8781, klaviyo: 8782, console: 8783 } as const
/** The demo's services that listen. */
export type PortName = keyof typeof DEFAULT_PORTS

/** Segment write keys of the two sources: the website and the relay. */
export const SITE_WRITE_KEY = 'demo_website'
/** Segment write key of the relay's source. */
export const RELAY_WRITE_KEY = 'demo_klaviyo_relay'
/** Klaviyo public key, list and the private key the relay reads with. */
export const COMPANY_ID = 'HbrLm1'
/** Klaviyo list the store subscribes to. */
export const LIST_ID = 'NwsL7r'
/** Klaviyo private key the relay reads with. */
export const PRIVATE_KEY = 'pk_demo_relay'

/** Options of startDemo(). */
export interface DemoOptions {
  /** Ports; 0 picks a free one (tests). Defaults: {@link DEFAULT_PORTS}. */
  ports?: Partial<Record<PortName, number>>
  /** Directory for events.jsonl and the relay state; default `<repo>/.sandbox`. */
  dataDir?: string
  /** Keep events.jsonl from an earlier run (default: start it afresh). */
  keepEvents?: boolean
  /** Seconds between relay polls (default 2). */
  relayIntervalSeconds?: number
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /**
   * Where the purchase happens: 'browser' (default) sends Order Completed from the store page;
   * 'shopify' places a Shopify-style order whose orders/create webhook the relay's Shopify
   * handler turns into Order Completed (docs/shopify.md).
   */
  checkout?: 'browser' | 'shopify'
}

/** A port the demo wanted is in use (or otherwise not bindable). */
export class DemoPortError extends Error {
  constructor(
    readonly service: string,
    readonly port: number,
    readonly env: string,
    readonly flag: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: string })?.code
    super(
      code === 'EADDRINUSE'
        ? `port ${port} (${service}) is already in use. Is another demo running? Stop it, or pick another port with ${env}=<port> or ${flag} <port>.`
        : `cannot listen on 127.0.0.1:${port} (${service}): ${(cause as Error)?.message ?? cause}`,
    )
    this.name = 'DemoPortError'
  }
}

/** Env variable, flag and label of each port. */
export const PORT_SETTINGS: Record<PortName, { env: string; flag: string; label: string }> = {
  store: { env: 'MAILSTITCH_DEMO_PORT', flag: '--port', label: 'demo store' },
  collector: { env: 'MAILSTITCH_COLLECTOR_PORT', flag: '--collector-port', label: 'Segment collector' },
  klaviyo: { env: 'MAILSTITCH_KLAVIYO_PORT', flag: '--klaviyo-port', label: 'Klaviyo emulator' },
  console: { env: 'MAILSTITCH_CONSOLE_PORT', flag: '--console-port', label: 'email simulator and journey viewer' },
}

/** `npm run demo -- --help`. */
export const HELP = `Usage: npm run demo [-- options]

Starts the mailstitch sandbox on this machine: demo store, Segment collector, Klaviyo emulator,
relay (polling every 2 s), email simulator and journey viewer. No keys, no network.

  --port <n>             demo store (env MAILSTITCH_DEMO_PORT, default ${DEFAULT_PORTS.store})
  --collector-port <n>   Segment collector (env MAILSTITCH_COLLECTOR_PORT, default ${DEFAULT_PORTS.collector})
  --klaviyo-port <n>     Klaviyo emulator (env MAILSTITCH_KLAVIYO_PORT, default ${DEFAULT_PORTS.klaviyo})
  --console-port <n>     email simulator + journey viewer (env MAILSTITCH_CONSOLE_PORT, default ${DEFAULT_PORTS.console})
  --data-dir <dir>       where events.jsonl and the relay state go (default .sandbox)
  --keep-events          append to events.jsonl instead of starting it afresh
  --checkout <mode>      browser (default): Order Completed from the store page; shopify: a
                         Shopify order webhook through the relay (env MAILSTITCH_DEMO_CHECKOUT)
  -h, --help             this help`

/** Parse flags and env into options; a string is a usage error. */
export function demoOptionsFromArgs(argv: string[], env: Record<string, string | undefined>): DemoOptions | string | 'help' {
  const ports: Partial<Record<PortName, number>> = {}
  const o: DemoOptions = { ports }
  const portValue = (raw: string | undefined, what: string): number | string => {
    const n = Number(raw)
    return raw !== undefined && /^\d+$/.test(raw) && n >= 0 && n <= 65535 ? n : `${what} must be a port number (0-65535), got "${raw ?? ''}"`
  }
  for (const [name, s] of Object.entries(PORT_SETTINGS) as Array<[PortName, (typeof PORT_SETTINGS)[PortName]]>) {
    if (env[s.env] !== undefined && env[s.env] !== '') {
      const v = portValue(env[s.env], s.env)
      if (typeof v === 'string') return v
      ports[name] = v
    }
  }
  const checkoutMode = (v: string | undefined, what: string): 'browser' | 'shopify' | string =>
    v === 'browser' || v === 'shopify' ? v : `${what} must be browser or shopify, got "${v ?? ''}"`
  if (env.MAILSTITCH_DEMO_CHECKOUT) {
    const v = checkoutMode(env.MAILSTITCH_DEMO_CHECKOUT, 'MAILSTITCH_DEMO_CHECKOUT')
    if (v !== 'browser' && v !== 'shopify') return v
    o.checkout = v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const next = () => inline ?? argv[++i]
    if (flag === '-h' || flag === '--help') return 'help'
    const portName = (Object.keys(PORT_SETTINGS) as PortName[]).find((n) => PORT_SETTINGS[n].flag === flag)
    if (portName) {
      const v = portValue(next(), flag)
      if (typeof v === 'string') return v
      ports[portName] = v
    } else if (flag === '--data-dir') {
      const v = next()
      if (!v) return '--data-dir needs a directory'
      o.dataDir = v
    } else if (flag === '--keep-events') {
      o.keepEvents = true
    } else if (flag === '--checkout') {
      const v = checkoutMode(next(), '--checkout')
      if (v !== 'browser' && v !== 'shopify') return v
      o.checkout = v
    } else {
      return `unknown option "${a}"`
    }
  }
  return o
}
