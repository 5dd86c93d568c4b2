import { describe, expect, it } from 'vitest'
import { normalizeEmail } from './email'

describe('normalizeEmail', () => {
  it('trims and lower-cases padded, upper-case addresses', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM \n')).toBe('ada.lovelace@example.com')
    expect(normalizeEmail('\tBOB+news@shop.co.uk ')).toBe('bob+news@shop.co.uk')
  })

  it('accepts ordinary addresses unchanged', () => {
    for (const e of ['ada@example.com', 'a.b-c_d@sub.example-shop.io', "o'neil@example.ie", 'x@example.museum'])
      expect(normalizeEmail(e)).toBe(e)
  })

  it.each([
    ['no @', 'ada.example.com'],
    ['nothing before @', '@example.com'],
    ['nothing after @', 'ada@'],
    ['no dot in the domain', 'ada@localhost'],
    ['inner space in the local part', 'ada lovelace@example.com'],
    ['inner space in the domain', 'ada@exa mple.com'],
    ['a trailing dot', 'ada@example.com.'],
    ['a leading dot in the local part', '.ada@example.com'],
    ['a trailing dot in the local part', 'ada.@example.com'],
    ['consecutive dots', 'ada..l@example.com'],
    ['consecutive dots in the domain', 'ada@example..com'],
    ['two @', 'ada@b@example.com'],
    ['<script> in the field', '<script>alert(1)</script>@example.com'],
    ['<script> after the address', 'ada@example.com<script>alert(1)</script>'],
    ['angle brackets (display-name form)', 'Ada <ada@example.com>'],
    ['quotes', '"ada"@example.com'],
    ['a numeric TLD', 'ada@example.123'],
    ['a one-letter TLD', 'ada@example.c'],
    ['a hyphen at a label edge', 'ada@-example.com'],
    ['the empty string', ''],
    ['only spaces', '   '],
  ])('refuses %s', (_, raw) => {
    expect(normalizeEmail(raw)).toBeNull()
  })

  it('refuses an address longer than 254 characters, accepts one of exactly 254', () => {
    const domain = (n: number) => Array.from({ length: n }, () => 'a'.repeat(61)).join('.') // n labels of 61
    const at254 = 'a'.repeat(64) + '@' + domain(3) + '.' + 'b'.repeat(254 - 64 - 1 - 185 - 1)
    expect(at254.length).toBe(254)
    expect(normalizeEmail(at254)).toBe(at254)
    expect(normalizeEmail(at254 + 'c')).toBeNull()
    expect(normalizeEmail('a'.repeat(250) + '@example.com')).toBeNull()
  })

  it('refuses a local part over 64 characters', () => {
    expect(normalizeEmail('a'.repeat(65) + '@example.com')).toBeNull()
    expect(normalizeEmail('a'.repeat(64) + '@example.com')).toBe('a'.repeat(64) + '@example.com')
  })

  it('refuses non-strings without throwing', () => {
    for (const v of [undefined, null, 42, {}, ['a@b.co']]) expect(normalizeEmail(v)).toBeNull()
  })

  it('refuses unicode look-alikes (Cyrillic а) rather than sending a homograph', () => {
    expect(normalizeEmail('\u0430da@example.com')).toBeNull()
  })
})
