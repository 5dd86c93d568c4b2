/**
 * The local third parties every stack runs (the e2e fixtures, the benchmarks, the engine
 * scenarios): the Segment collector, the Klaviyo emulator and a storefront site, all on
 * 127.0.0.1 ephemeral ports, and the mailstitch script tag pointed at that Klaviyo emulator.
 */
import { startSegmentCollector, type SegmentCollector, type SegmentCollectorOptions } from '../../sandbox/segment-collector'
import { startKlaviyoEmulator, type KlaviyoEmulator, type KlaviyoEmulatorOptions } from '../../sandbox/klaviyo-emulator'
import { startSite, type Site } from './site'
import { scriptTag } from './storefront'

/** The Klaviyo public key (site id) the script tag carries. */
export const COMPANY_ID = 'AbC123'
/** The Klaviyo list opt-ins are subscribed to. */
export const LIST_ID = 'XyZ789'

/** The collector, the Klaviyo emulator and the site of one stack. */
export interface Emulators {
  collector: SegmentCollector
  klaviyo: KlaviyoEmulator
  site: Site
  /** The mailstitch script tag (data attributes per the contract), pointed at this Klaviyo emulator. */
  scriptTag(attrs?: Record<string, string>): string
}

/** Options of {@link startEmulators}: what each emulator accepts (default: anything). */
export interface EmulatorOptions {
  collector?: SegmentCollectorOptions
  klaviyo?: KlaviyoEmulatorOptions
}

/** Start the three side by side. */
export async function startEmulators(o: EmulatorOptions = {}): Promise<Emulators> {
  const [collector, klaviyo, site] = await Promise.all([startSegmentCollector(o.collector), startKlaviyoEmulator(o.klaviyo), startSite()])
  return {
    collector,
    klaviyo,
    site,
    scriptTag: (attrs) => scriptTag({ apiBase: klaviyo.url, companyId: COMPANY_ID, listId: LIST_ID }, attrs),
  }
}

/** Stop the three. */
export async function stopEmulators(e: Emulators): Promise<void> {
  await Promise.all([e.collector.close(), e.klaviyo.close(), e.site.close()])
}
