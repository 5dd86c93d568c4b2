// examples/storefront served as-is (placeholders filled in, the Klaviyo emulator as API base),
// driven in Chromium: the script tag after the Segment snippet on one page, before it on another.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, anonymousIdOf, COMPANY_ID, LIST_ID, WRITE_KEY, type Stack } from '../support/fixtures'

type Ev = Record<string, any>
const DIR = resolve(import.meta.dirname, '../../examples/storefront')
const ROOT = resolve(import.meta.dirname, '../..')

/** The example's file with the keys and the inline snippet filled in as serve.mjs fills them, plus the emulator's URL. */
async function file(name: string, stack: Stack): Promise<string> {
  const { snippet } = (await import(resolve(ROOT, 'dist/snippet.mjs'))) as typeof import('../../src/snippet/index')
  const inline = snippet({ src: '/mailstitch.min.js', klaviyoCompanyId: COMPANY_ID, klaviyoListId: LIST_ID, klaviyoApiBase: stack.klaviyo.url })
  return readFileSync(resolve(DIR, name), 'utf8')
    .replaceAll('MAILSTITCH_SNIPPET', () => inline)
    .replaceAll('YOUR_SEGMENT_WRITE_KEY', WRITE_KEY)
    .replaceAll('YOUR_KLAVIYO_PUBLIC_KEY', COMPANY_ID)
    .replaceAll('YOUR_KLAVIYO_LIST_ID', LIST_ID)
    .replace(/data-klaviyo-company-id="/g, `data-klaviyo-api-base="${stack.klaviyo.url}" data-klaviyo-company-id="`)
}

async function serve(stack: Stack) {
  stack.site.page('/index.html', await file('index.html', stack))
  stack.site.page('/product.html', await file('product.html', stack))
  for (const file of ['mailstitch.min.js', 'mailstitch-runner.min.js']) {
    stack.site.route('GET', '/' + file, () => ({ headers: { 'content-type': 'application/javascript' }, body: readFileSync(resolve(ROOT, 'dist', file)) }))
  }
  stack.site.route('POST', '/subscribe', () => ({ status: 303, headers: { location: '/index.html?subscribed=1' } }))
  stack.site.route('POST', '/restock', () => ({ status: 204 }))
}

async function expectStitched(stack: Stack, email: string, anon: string) {
  const identify = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === email, 15_000)) as Ev
  expect(identify.anonymousId).toBe(anon)
  const captured = (await stack.collector.waitFor((e: Ev) => e.event === 'Email Captured' && e.context?.traits?.email === email, 15_000)) as Ev
  expect(captured.anonymousId).toBe(anon)
  await expect.poll(() => stack.klaviyo.store.findProfile({ email })?.properties?.segment_anonymous_id, { timeout: 15_000 }).toBe(anon)
  expect(stack.klaviyo.store.findProfile({ email })?.anonymous_id).toBe(anon)
  return captured
}

test('the files are the standard snippet plus mailstitch: the inline snippet after it on index.html, the plain tag before it on product.html', () => {
  const index = readFileSync(resolve(DIR, 'index.html'), 'utf8')
  const product = readFileSync(resolve(DIR, 'product.html'), 'utf8')
  for (const html of [index, product]) {
    expect(html).toContain('analytics.SNIPPET_VERSION="5.2.1"')
  }
  expect(product).toContain('data-klaviyo-company-id="YOUR_KLAVIYO_PUBLIC_KEY"')
  expect(index).not.toContain('src="mailstitch.min.js"')
  expect(index.indexOf('<script>MAILSTITCH_SNIPPET</script>')).toBeGreaterThan(index.indexOf('analytics.load('))
  expect(product.indexOf('src="mailstitch.min.js"')).toBeLessThan(product.indexOf('analytics.load('))
})

test('inline snippet after the Segment snippet: the full-page newsletter post produces the identify and the profile', async ({ stack }) => {
  await serve(stack)
  const { page, anonymousId: anon } = await stack.visit('/index.html')
  await page.fill('#newsletter-email', 'Store.Front@Example.com')
  await Promise.all([page.waitForURL('**/index.html?subscribed=1'), page.click('#newsletter-submit')])
  await expect(page.locator('#thanks')).toBeVisible()
  const captured = await expectStitched(stack, 'store.front@example.com', anon)
  expect(captured.properties).toMatchObject({ source: 'form', form_id: 'newsletter' })
  const sub = stack.klaviyo.requests().find((r: Ev) => r.path.startsWith('/client/subscriptions')) as Ev | undefined
  expect(sub?.body?.data?.relationships?.list?.data?.id).toBe(LIST_ID)
})

test('tag before the snippet: a fetch-posted form is captured; an email-link landing is bridged from the first event', async ({ stack }) => {
  await serve(stack)
  const { page, anonymousId: anon } = await stack.visit('/product.html')
  await page.fill('#restock-email', 'restock@example.com')
  await page.click('#restock-submit')
  await expect(page.locator('#restock-done')).toBeVisible()
  await expectStitched(stack, 'restock@example.com', anon)

  // The email link, opened on another device: product.html with ?mst=<bridge id>.
  const link = await page.evaluate(() => new URLSearchParams((window as any).mailstitch.instance.linkParams()).toString())
  const phone = await (await stack.device()).newPage()
  const phoneUrl = stack.site.url.replace('127.0.0.1', 'localhost')
  await phone.goto(`${phoneUrl}/product.html?utm_medium=email&${link}`)
  expect(phone.url()).toBe(`${phoneUrl}/product.html?utm_medium=email`)
  expect(await anonymousIdOf(phone)).toBe(anon)
  const first = (await stack.collector.waitFor((e: Ev) => e.type === 'page' && String(e.context?.page?.url).startsWith(phoneUrl), 15_000)) as Ev
  expect(first.anonymousId).toBe(anon)
  expect(first.context.page.url).toBe(`${phoneUrl}/product.html?utm_medium=email`)
})
