import { describe, expect, it } from 'vitest'
import { MAX_LOG_LINE, boundedLog, logLine } from './log-line'

describe('logLine', () => {
  it('passes a short plain line through unchanged', () => {
    expect(logLine('klaviyo webhook: received 3, sent 3, skipped 0')).toBe('klaviyo webhook: received 3, sent 3, skipped 0')
  })

  it('cuts a forged 16 KB header to a bounded line that says how long it was', () => {
    const forged = `shopify webhook ${'A'.repeat(16 * 1024)} (orders/create): refused`
    const line = logLine(forged)
    expect(line.length).toBeLessThan(MAX_LOG_LINE + 40)
    expect(line).toMatch(new RegExp(`^shopify webhook A+… \\(${forged.length} characters in all\\)$`))
  })

  it('escapes newlines and control characters, so a request cannot forge a second log line', () => {
    expect(logLine('id a\nrelay: fake line\r\u0000\u001b[31m')).toBe('id a\\nrelay: fake line\\r\\u0000\\u001b[31m')
  })

  it('redacts credentials, also ones that straddle the cut', () => {
    const line = logLine(`${'x'.repeat(MAX_LOG_LINE - 20)} https://user:secretpassword@host/`)
    expect(line).not.toMatch(/secret|user:/)
    expect(line).toContain('https://***')
  })

  it('never ends on half a surrogate pair', () => {
    const line = logLine('x'.repeat(MAX_LOG_LINE - 1) + '😀'.repeat(10))
    expect(line.startsWith('x'.repeat(MAX_LOG_LINE - 1) + '…')).toBe(true)
  })

  it('boundedLog wraps a logger', () => {
    const lines: string[] = []
    boundedLog((l) => lines.push(l))('a\nb')
    expect(lines).toEqual(['a\\nb'])
  })
})
