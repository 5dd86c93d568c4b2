/** The empty profile record both stored and synthetic profiles start from. */
import type { KlaviyoProfile } from './types'

/** A profile with every attribute unset, created and updated at `created`. */
export function blankProfile(id: string, kx: string, created: string): KlaviyoProfile {
  return {
    id,
    email: null,
    phone_number: null,
    external_id: null,
    anonymous_id: null,
    _kx: kx,
    first_name: null,
    last_name: null,
    organization: null,
    locale: null,
    title: null,
    image: null,
    location: null,
    properties: {},
    created,
    updated: created,
    last_event_date: null,
    lists: {},
  }
}
