/**
 * The Segment event names of an email journey, the one source for the browser SDK, the relay and
 * the journey model (names pinned in CONTRACT.md and docs/relay.md, "What arrives in Segment").
 * Plain string constants, so the bundler inlines the two the SDK sends and drops the rest.
 */

/** Sent by the browser SDK when a shopper gives an email address (`track('Email Captured', { source, form_id })`). */
export const EMAIL_CAPTURED = 'Email Captured'
/** Sent by the browser SDK once per email-link landing (`track('Email Link Landed', { outcome })`). */
export const EMAIL_LINK_LANDED = 'Email Link Landed'

/**
 * Joins two bridge ids of one visitor (`anonymousId` = this browser's, `properties.bridge_id` = the
 * email visitor's): sent by the relay for an order whose attribute and email disagree, and by the
 * Shopify add-on when a browser that lost its storage finds a bridge id in the cart.
 */
export const VISITOR_LINKED = 'Visitor Linked'

/** Relayed for Klaviyo's `Received Email` (Segment email spec "Email Delivered"). */
export const EMAIL_DELIVERED = 'Email Delivered'
/** Relayed for Klaviyo's `Opened Email`. */
export const EMAIL_OPENED = 'Email Opened'
/** Relayed for Klaviyo's `Clicked Email`. */
export const EMAIL_LINK_CLICKED = 'Email Link Clicked'
/** Relayed for Klaviyo's `Bounced Email`. */
export const EMAIL_BOUNCED = 'Email Bounced'
/** Relayed for Klaviyo's `Marked Email as Spam`. */
export const EMAIL_MARKED_AS_SPAM = 'Email Marked as Spam'
/** Relayed for Klaviyo's `Unsubscribed` and `Unsubscribed from Email Marketing`. */
export const UNSUBSCRIBED = 'Unsubscribed'

/** An event name the relay sends for a Klaviyo email event. */
export type RelayedEmailEventName =
  | typeof EMAIL_DELIVERED
  | typeof EMAIL_OPENED
  | typeof EMAIL_LINK_CLICKED
  | typeof EMAIL_BOUNCED
  | typeof EMAIL_MARKED_AS_SPAM
  | typeof UNSUBSCRIBED
