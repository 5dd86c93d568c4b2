// Klaviyo onsite forms: klaviyo.js announces a submit as a window `klaviyoForms` event. A stand-in
// dispatches the real event shape (email in metaData.$email, or metaData.email) and spies on
// window.klaviyo.identify, which mailstitch calls so Klaviyo's onsite identity agrees.
import { test, expect, anonymousIdOf, type Stack } from '../support/fixtures'

type Ev = Record<string, any>

/** klaviyo.js, reduced to what mailstitch touches: `klaviyo.identify` (a Promise) and the form event. */
const KLAVIYO_STANDIN = `<script>
  window.__klaviyoCalls = [];
  window.klaviyo = window.klaviyo || {
    identify: function (props) { window.__klaviyoCalls.push(props); return Promise.resolve(props) },
    push: function () {}
  };
  window.__klaviyoForm = function (type, metaData) {
    window.dispatchEvent(new CustomEvent('klaviyoForms', { detail: { type: type, formId: 'RkX2aB', formVersionId: 4812345, metaData: metaData } }));
  };
</script>`

async function open(stack: Stack) {
  stack.site.page('/', stack.storefront({ before: KLAVIYO_STANDIN, after: stack.scriptTag(), body: '<h1>Shop</h1>' }))
  const page = await (await stack.device()).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(stack.site.url + '/')
  return { page, errors, anon: await anonymousIdOf(page) }
}

for (const key of ['$email', 'email'] as const) {
  test(`a Klaviyo form submit with metaData.${key}: identify, profile, and klaviyo.identify with the bridge id`, async ({ stack }) => {
    const { page, errors, anon } = await open(stack)
    await page.evaluate((k) => (window as any).__klaviyoForm('submit', { [k]: 'Popup@Example.com', $source: 'Newsletter popup', $consent_method: 'Klaviyo Form', $consent_form_id: 'RkX2aB', $timezone_offset: -5 }), key)
    const identify = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === 'popup@example.com', 15_000)) as Ev
    expect(identify.anonymousId).toBe(anon)
    const captured = (await stack.collector.waitFor((e: Ev) => e.event === 'Email Captured', 15_000)) as Ev
    expect(captured.properties).toMatchObject({ source: 'klaviyo-form', form_id: 'RkX2aB' })
    await expect.poll(() => stack.klaviyo.store.findProfile({ email: 'popup@example.com' })?.properties?.segment_anonymous_id, { timeout: 15_000 }).toBe(anon)
    expect(await page.evaluate(() => (window as any).__klaviyoCalls)).toEqual([{ email: 'popup@example.com', segment_anonymous_id: anon }])
    expect(errors).toEqual([])
  })
}

test('Klaviyo form events without an email, or that are not submits, capture nothing', async ({ stack }) => {
  const { page, errors } = await open(stack)
  await page.evaluate(() => {
    const w = window as any
    w.__klaviyoForm('submit', { $phone_number: '+15555550123', $source: 'SMS popup' })
    w.__klaviyoForm('submit', undefined)
    w.__klaviyoForm('submit', { $email: '' })
    w.__klaviyoForm('submit', { $email: 'not-an-email' })
    w.__klaviyoForm('open', { $email: 'opened@example.com' })
    window.dispatchEvent(new CustomEvent('klaviyoForms'))
    // Then one that does capture: once it has arrived, everything before it has been handled.
    window.dispatchEvent(new CustomEvent('klaviyoForms', { detail: { type: 'submit', formId: 'Marker', metaData: { $email: 'marker@example.com' } } }))
  })
  await stack.collector.waitFor((e: Ev) => e.event === 'Email Captured' && e.context?.traits?.email === 'marker@example.com', 15_000)
  await expect.poll(() => stack.klaviyo.requests().length, { timeout: 15_000 }).toBe(1)
  expect(stack.klaviyo.requests()[0]!.body).toMatchObject({ data: { attributes: { email: 'marker@example.com' } } })
  expect(stack.collector.events().filter((e: Ev) => e.type === 'identify' || e.event === 'Email Captured').map((e: Ev) => e.traits?.email ?? e.context?.traits?.email)).toEqual(['marker@example.com', 'marker@example.com'])
  expect(errors).toEqual([])
})

test('a multi-step Klaviyo form: the email from stepSubmit is captured once, the final submit adds nothing', async ({ stack }) => {
  const { page, errors, anon } = await open(stack)
  await page.evaluate(() => (window as any).__klaviyoForm('stepSubmit', { $email: 'Step@Example.com' }))
  const identify = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === 'step@example.com', 15_000)) as Ev
  expect(identify.anonymousId).toBe(anon)
  // The SMS step, then the final submit, well past the 5 s duplicate window of capture().
  await page.clock.install()
  await page.clock.fastForward(60_000)
  await page.evaluate(() => {
    const w = window as any
    w.__klaviyoForm('stepSubmit', { $email: 'step@example.com', $phone_number: '+15555550123' })
    w.__klaviyoForm('submit', { $email: 'step@example.com', $phone_number: '+15555550123' })
    window.dispatchEvent(new CustomEvent('klaviyoForms', { detail: { type: 'submit', formId: 'Marker', metaData: { $email: 'marker@example.com' } } }))
  })
  await page.clock.runFor(1000)
  await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === 'marker@example.com', 15_000)
  expect(stack.collector.events().filter((e: Ev) => e.type === 'identify' && e.traits?.email === 'step@example.com')).toHaveLength(1)
  expect(stack.klaviyo.requests().filter((r) => (r.body as Ev)?.data?.attributes?.email === 'step@example.com')).toHaveLength(1)
  expect(errors).toEqual([])
})
