/** Request bodies shared by the client and server APIs: the JSON:API `data` object, profile attributes, `meta.patch_properties`. */
import { isRecord } from '../http-util'
import { PHONE_RE, isValidEmail } from './ids'
import { ApiError, invalid, str } from './jsonapi'
import type { KlaviyoStore } from './store'
import type { KlaviyoLocation, ProfileAttributes } from './types'

/** The `data` object of a JSON:API body of `type`, with its attributes; 400/409 otherwise. */
export function dataOf(body: unknown, type: string): { data: Record<string, unknown>; attributes: Record<string, unknown> } {
  if (!isRecord(body) || !isRecord(body.data)) throw invalid("The request body must contain a 'data' object.", { pointer: '/data' })
  const data = body.data
  if (data.type !== type) throw new ApiError(409, 'conflict', 'Conflict.', `The type '${String(data.type)}' is not valid for this endpoint; expected '${type}'.`, { pointer: '/data/type' })
  if (!isRecord(data.attributes)) throw invalid("'attributes' is a required object.", { pointer: '/data/attributes' })
  return { data, attributes: data.attributes }
}

/** Validate and extract profile attributes from a JSON:API attributes object. */
export function profileAttrs(raw: Record<string, unknown>, pointer: string, opts2: { requireIdentifier: boolean }): ProfileAttributes {
  const out: ProfileAttributes = {}
  const text = (k: 'email' | 'phone_number' | 'external_id' | 'anonymous_id' | '_kx' | 'first_name' | 'last_name' | 'organization' | 'locale' | 'title' | 'image') => {
    const v = raw[k]
    if (v === undefined) return
    if (v !== null && typeof v !== 'string') throw invalid(`'${k}' must be a string.`, { pointer: `${pointer}/${k}` })
    out[k] = v
  }
  for (const k of ['email', 'phone_number', 'external_id', 'anonymous_id', '_kx', 'first_name', 'last_name', 'organization', 'locale', 'title', 'image'] as const) text(k)
  if (out.email !== undefined && out.email !== null) {
    const e = out.email.trim()
    if (!isValidEmail(e)) throw invalid(`Invalid email address: ${JSON.stringify(out.email)}`, { pointer: `${pointer}/email` })
    out.email = e
  }
  if (out.phone_number && !PHONE_RE.test(out.phone_number)) throw invalid(`Invalid phone number format (Example of a valid format: +13239169023)`, { pointer: `${pointer}/phone_number` })
  if (out.external_id !== undefined && out.external_id !== null && out.external_id.length > 255) throw invalid("'external_id' is longer than 255 characters.", { pointer: `${pointer}/external_id` })
  if (raw.properties !== undefined) {
    if (!isRecord(raw.properties)) throw invalid("'properties' must be an object.", { pointer: `${pointer}/properties` })
    out.properties = raw.properties
  }
  if (raw.location !== undefined && raw.location !== null) {
    if (!isRecord(raw.location)) throw invalid("'location' must be an object.", { pointer: `${pointer}/location` })
    out.location = raw.location as KlaviyoLocation
  }
  if (opts2.requireIdentifier && !out.email && !out.phone_number && !out.external_id && !out.anonymous_id && !out._kx) {
    throw invalid('One of email, phone_number, external_id, anonymous_id or _kx is required to identify the profile.', { pointer })
  }
  return out
}

/** `meta.patch_properties` of a body, if any. */
export function patchMeta(meta: unknown): Parameters<KlaviyoStore['patchProperties']>[1] | undefined {
  if (!isRecord(meta) || !isRecord(meta.patch_properties)) return undefined
  const pp = meta.patch_properties
  const unset = Array.isArray(pp.unset) ? pp.unset.filter((x): x is string => typeof x === 'string') : typeof pp.unset === 'string' ? pp.unset : undefined
  return { append: isRecord(pp.append) ? pp.append : undefined, unappend: isRecord(pp.unappend) ? pp.unappend : undefined, unset }
}

/** The metric name and profile attributes of an event body (client and server Create Event). */
export function eventSubject(attributes: Record<string, unknown>): { metricName: string; attrs: ProfileAttributes } {
  const metric = isRecord(attributes.metric) && isRecord(attributes.metric.data) && isRecord(attributes.metric.data.attributes) ? attributes.metric.data.attributes : undefined
  const metricName = metric ? str(metric.name) : undefined
  if (!metricName) throw invalid("'metric' with a name is required.", { pointer: '/data/attributes/metric/data/attributes/name' })
  const prof = isRecord(attributes.profile) && isRecord(attributes.profile.data) && isRecord(attributes.profile.data.attributes) ? attributes.profile.data.attributes : undefined
  if (!prof) throw invalid("'profile' is required.", { pointer: '/data/attributes/profile' })
  return { metricName, attrs: profileAttrs(prof, '/data/attributes/profile/data/attributes', { requireIdentifier: true }) }
}
