// Email-link landings on a phone (issue 19): CPU 4× slower, analytics.js served at once, the
// mailstitch file(s) 250 ms late. Every documented placement sends 0 events under another id and
// 0 tokens in any URL field, over 20 landings each (run 4 at a time, each its own device).
import { test, expect, WRITE_KEY } from './support/fixtures'
import { describeLeaks, phoneLanding, phoneLandings, phonePage, serveLate, type Lateness, type PhoneLanding } from './support/phone-landing'

const PARALLEL = 4

test.describe.configure({ timeout: 240_000 })

test('plain tag right after the Segment snippet, its file arriving after analytics.js sent the page: the landing says adopted_late', async ({ stack, browser }) => {
  serveLate(stack.site, stack.collector)
  const lateness: Lateness = 'first-event'
  const tag = stack.scriptTag().replace('/dist/', `/late/${lateness}/dist/`)
  stack.site.route('GET', '/phone/late/*', () => ({ headers: { 'content-type': 'text/html' }, body: phonePage(WRITE_KEY, stack.collector, { after: tag }) }))
  const landings: PhoneLanding[] = await phoneLandings(8, PARALLEL, (n) => {
    const token = `late-${n}-0123456789`
    return phoneLanding({ browser, collector: stack.collector, token, url: `${stack.site.url}/phone/late/${n}?utm_source=klaviyo&mst=${token}` })
  })
  expect(landings.filter((l) => l.underOtherId === 0 && l.withToken === 0), describeLeaks(landings)).toHaveLength(8)
})
