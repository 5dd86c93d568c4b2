import { describe, expect, it } from 'vitest'
import { REDACTED, redactSecrets } from './redact'

describe('redactSecrets', () => {
  it.each([
    ['Cannot reach Klaviyo at https://user:pass@klaviyo.example/api (timed out)', 'Cannot reach Klaviyo at https://***@klaviyo.example/api (timed out)'],
    ['SEGMENT_API_HOST=https://wk_secret@segment.example', 'SEGMENT_API_HOST=https://***@segment.example'],
    ['https://u:p%40ss@host/v1/batch and http://a:b@c.example', 'https://***@host/v1/batch and http://***@c.example'],
    ['https://user:p@ss@host:8443/x', 'https://***@host:8443/x'],
    ['GET https://a.example/x?api_key=abc123&company_id=Pub1', 'GET https://a.example/x?api_key=***&company_id=Pub1'],
    ['?token=t1&Key=k2#access_token=t3', '?token=***&Key=***#access_token=***'],
    ['https://s3.example/o?X-Amz-Signature=deadbeef&x=1', 'https://s3.example/o?X-Amz-Signature=***&x=1'],
    ['key pk_0123456789abcdef0123456789abcdef01 leaked', `key pk_${REDACTED} leaked`],
    ['authorization: Basic d2tfdGVzdDo=', 'authorization: Basic ***'],
  ])('%s', (input, output) => {
    expect(redactSecrets(input)).toBe(output)
  })

  it('leaves ordinary text, emails and URLs without credentials alone', () => {
    const text = 'sent 3 to https://api.segment.io/v1/batch for ada@example.com (monkey=1, keyboard=2) ?company_id=AbC123 mailto:ada@example.com'
    expect(redactSecrets(text)).toBe(text)
  })

  it('costs linear time on a long line without an @ (no catastrophic backtracking)', () => {
    const hostile = 'https://' + 'a:'.repeat(100_000)
    expect(redactSecrets(hostile)).toBe(hostile)
  })
})
