import { describe, expect, it } from 'vitest'
import { cutToBytes, fitEvent, utf8Length } from './segment-fit'

const enc = (s: string) => new TextEncoder().encode(s).byteLength

describe('utf8Length and cutToBytes', () => {
  it('count UTF-8 bytes as TextEncoder does, and cut on a character boundary', () => {
    for (const s of ['abc', 'é', '春のセール', '😀x', 'a\ud800b', '']) expect(utf8Length(s)).toBe(enc(s))
    expect(cutToBytes('春のセール', 7)).toBe('春の') // 6 bytes: the third character would make 9
    expect(cutToBytes('😀😀', 5)).toBe('😀') // a surrogate pair is never split
    expect(cutToBytes('abc', 0)).toBe('')
  })
})

describe('fitEvent', () => {
  it('leaves an event that fits untouched', () => {
    const e = { messageId: 'm', properties: { a: 'x' } }
    expect(fitEvent(e)).toEqual({ ok: true, json: JSON.stringify(e), bytes: enc(JSON.stringify(e)), truncated: false })
  })

  it('cuts the longest text properties (at any depth) just under the limit and marks the event truncated', () => {
    const subject = '受信メールの件名'.repeat(1024) // 8,192 characters, 24 KB
    const e = { messageId: 'm', context: { traits: { email: 'a@b.c' } }, properties: { email_subject: subject, nested: { url: 'u'.repeat(12_000) }, short: 'keep' } }
    const fit = fitEvent(e)
    expect(fit.ok).toBe(true)
    if (!fit.ok) return
    expect(fit.truncated).toBe(true)
    expect(fit.bytes).toBe(enc(fit.json))
    expect(fit.bytes).toBeLessThanOrEqual(32_000)
    expect(fit.bytes).toBeGreaterThan(31_000) // cut just enough, not to nothing
    const out = JSON.parse(fit.json) as { messageId: string; context: unknown; properties: { email_subject: string; nested: { url: string }; short: string; truncated: boolean } }
    expect(out.properties.truncated).toBe(true)
    expect(out.properties.short).toBe('keep')
    expect(subject.startsWith(out.properties.email_subject)).toBe(true)
    expect(out.context).toEqual(e.context)
    expect(e.properties.email_subject).toBe(subject) // the input is not changed
  })

  it('copes with text whose JSON is longer than the text (quotes, control characters)', () => {
    const fit = fitEvent({ messageId: 'm', properties: { s: '"\n'.repeat(20_000) } })
    expect(fit.ok && fit.bytes <= 32_000).toBe(true)
  })

  it('says so when no text property can make it fit', () => {
    expect(fitEvent({ messageId: 'm', properties: { n: Array.from({ length: 10_000 }, (_, i) => i) } })).toMatchObject({ ok: false })
  })
})
