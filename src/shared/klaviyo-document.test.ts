import { describe, expect, it } from 'vitest'
import { readListDocument, readResourceDocument } from './klaviyo-document'

const ev = (id: string) => ({ type: 'event', id, attributes: { datetime: '2026-01-01T00:00:00+00:00' } })

describe('readListDocument', () => {
  it('reads a Get Events page: data, included and links.next (a URL, or null on the last page)', () => {
    const doc = readListDocument({ data: [ev('e1')], included: [{ type: 'profile', id: 'p1', attributes: {} }], links: { self: 'x', next: 'https://a.klaviyo.com/api/events?page%5Bcursor%5D=C2' } })
    expect(doc).toEqual({ ok: true, document: { data: [ev('e1')], included: [{ type: 'profile', id: 'p1', attributes: {} }], next: 'https://a.klaviyo.com/api/events?page%5Bcursor%5D=C2' } })
    expect(readListDocument({ data: [], links: { next: null } })).toEqual({ ok: true, document: { data: [], included: [], next: null } })
  })

  it.each([
    ['an HTML page', '<html>maintenance</html>', /not a JSON:API document \(text "<html>/],
    ['no data', {}, /`data` is not a list \(missing\)/],
    ['a data string', { data: 'nope' }, /`data` is not a list/],
    ['a data object', { data: ev('e1') }, /`data` is not a list \(an object\)/],
    ['a resource without an id', { data: [{ type: 'event' }] }, /`data\[0\]` is not a resource object/],
    ['attributes that are not an object', { data: [{ type: 'event', id: 'e', attributes: 'x' }] }, /`data\[0\]\.attributes`/],
    ['links.next a number', { data: [], links: { next: 1 } }, /`links.next` is neither a string nor null/],
    ['links a string', { data: [], links: 'x' }, /`links` is not an object/],
    ['included an object', { data: [], included: {} }, /`included` is not a list/],
    ['null', null, /not a JSON:API document \(null\)/],
  ])('refuses %s', (_name, body, problem) => {
    const doc = readListDocument(body)
    expect(doc.ok).toBe(false)
    if (!doc.ok) expect(doc.problem).toMatch(problem)
  })
})

describe('readResourceDocument', () => {
  it('reads one resource (Get Metric) and refuses anything else', () => {
    expect(readResourceDocument({ data: { type: 'metric', id: 'M1', attributes: { name: 'Opened Email' } } })).toMatchObject({ ok: true, document: { id: 'M1' } })
    expect(readResourceDocument({ data: [] }).ok).toBe(false)
    expect(readResourceDocument('<html>').ok).toBe(false)
  })
})
