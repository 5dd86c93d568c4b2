/** The `npm run demo` command line. */
import path from 'node:path'
import { HELP, demoOptionsFromArgs } from './options'
import { startDemo, type Demo } from './start'

/** `npm run demo`: parse flags, start, print the URLs, stop on a signal. */
export async function runDemoCli(): Promise<void> {
  const parsed = demoOptionsFromArgs(process.argv.slice(2), process.env)
  if (parsed === 'help') {
    console.log(HELP)
    return
  }
  if (typeof parsed === 'string') {
    console.error(`mailstitch demo: ${parsed}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  const started = Date.now()
  let demo: Demo
  try {
    demo = await startDemo({ ...parsed, log: (l) => console.log(`  · ${l}`) })
  } catch (err) {
    console.error(`mailstitch demo: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
    return
  }
  const u = demo.urls
  console.log(`
mailstitch demo is running (started in ${Date.now() - started} ms)

  Store, this browser     ${u.store}/
  Store, another device   ${u.storeOtherDevice}/   (other host name = separate cookies)
  Email simulator         ${u.inbox}
  Journey viewer          ${u.journey}
  Start here              ${u.console}/

  Segment collector       ${u.collector}   (events also in ${path.relative(process.cwd(), demo.eventsFile)})
  Klaviyo emulator        ${u.klaviyo}
  Relay                   polling the emulator every 2 s

Walk: browse the store, subscribe in the footer, send a campaign in the simulator, click its link
on "another device", place an order, and watch it in the journey viewer. Ctrl-C stops.
Terminal view of the same data: npx tsx src/cli/main.ts journey ${path.relative(process.cwd(), demo.eventsFile)}
`)
  let stopping = false
  const stop = () => {
    if (stopping) process.exit(130)
    stopping = true
    console.log('\nstopping…')
    void demo.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
