import { test, expect } from './support/fixtures'

// Start-up's redirect check in real Chromium: a page reached through a redirect (a form POST
// answered with one) asks for the runner at once, before analytics.js has loaded; a plain page
// view does not (handoff.ts `cameThroughRedirect`, read from performance.navigation).
test('a page reached through a redirect asks for the runner at once; a plain page view never does', async ({ stack }) => {
  stack.site.page('/', stack.storefront({ after: stack.scriptTag(), body: '<main>Home</main>' }))
  stack.site.route('GET', '/go', () => ({ status: 302, headers: { location: '/' } }))
  const runnerTag = () => document.querySelector('script[src*="mailstitch-runner"]') !== null
  for (const [path, redirected] of [['/go', true], ['/', false]] as const) {
    const device = await stack.device()
    // analytics.js never loads, and no job is stored: only the redirect check can ask for the runner.
    await device.route('https://cdn.segment.com/analytics.js/**', (route) => route.abort())
    const page = await device.newPage()
    await page.goto(stack.site.url + path)
    await page.waitForFunction(() => Boolean((window as { mailstitch?: { instance?: unknown } }).mailstitch?.instance)) // the core has started
    expect(await page.evaluate(() => performance.navigation.redirectCount)).toBe(redirected ? 1 : 0)
    expect(await page.evaluate(runnerTag)).toBe(redirected)
    await device.close()
  }
})
