/**
 * The demo as a newcomer meets it (issue 23): the store's strip shows the bridge id right after a
 * capture that stays on the page (the Klaviyo-style popup), and the email simulator keeps an
 * opened email open across a reload, with the template tag the docs give. startDemo on free ports.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { startDemo, type Demo } from '../sandbox/demo'
import { anonymousIdOf, demoDevice, laptopSignup } from './support/demo-walk'

let demo: Demo
let dataDir: string

test.beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailstitch-demo-console-'))
  demo = await startDemo({ ports: { store: 0, collector: 0, klaviyo: 0, console: 0 }, dataDir, relayIntervalSeconds: 3600 })
})

test.afterEach(async () => {
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

test('the strip shows the bridge id as soon as the popup captured, on the same page', async ({ browser }) => {
  const page = await (await demoDevice(browser)).newPage()
  await page.goto(demo.urls.store + '/')
  const anon = await anonymousIdOf(page)
  await expect(page.locator('#ms-bridge')).toHaveText('no email captured in this browser yet')
  await page.click('#kl-teaser')
  await page.fill('#kl-email', 'popup.strip@example.com')
  await page.click('#kl-submit')
  await expect(page.locator('#kl-thanks')).toBeVisible()
  await expect(page.locator('#ms-bridge')).toHaveText(`bridge id (mst) ${anon}`)
  expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1) // no reload happened
})

test('the email simulator: an opened email stays open after a reload, and the tag is the docs\' one', async ({ browser }) => {
  const laptop = await demoDevice(browser)
  await laptopSignup(demo, laptop, 'reload.inbox@example.com')
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: 'reload.inbox@example.com' })?.properties.segment_anonymous_id, { timeout: 15_000 }).toBeTruthy()
  const inbox = await laptop.newPage()
  await inbox.goto(demo.urls.inbox)
  await inbox.locator('.profile', { hasText: 'reload.inbox@example.com' }).click()
  await expect(inbox.locator('.codebox').first()).toHaveText(/\?mst=\{\{ person\|lookup:'segment_anonymous_id'\|default:'' \}\}$/)
  await inbox.click('button[data-template="spring-linen"]')
  await expect(inbox.locator('.open-email')).toHaveText('Open')
  await inbox.click('.open-email')
  await expect(inbox.locator('.open-email')).toHaveText('Open again')
  await inbox.click('#device-other')
  await expect(inbox.locator('#email-frame')).toHaveAttribute('src', /device=other$/)

  await inbox.reload()
  await expect(inbox.locator('.profile.on')).toContainText('reload.inbox@example.com')
  await expect(inbox.locator('.open-email')).toHaveText('Open again')
  await expect(inbox.locator('.mail.on')).toHaveCount(1)
  await expect(inbox.locator('#email-frame')).toHaveAttribute('src', /device=other$/)
  expect(demo.mailer.list().map((e) => e.opens)).toEqual([1]) // the reload showed it; it did not open it again
})
