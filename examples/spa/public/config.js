// Runtime configuration, read by src/analytics.ts. Replace the placeholders, or serve your own
// /config.js. Keys here are public by design: a Segment write key and a Klaviyo public key.
window.SHOP_CONFIG = {
  segmentWriteKey: 'YOUR_SEGMENT_WRITE_KEY',
  klaviyoPublicKey: 'YOUR_KLAVIYO_PUBLIC_KEY',
  klaviyoListId: '', // optional: also subscribe captured emails to this list
  // Optional overrides (`MAILSTITCH_DEMO=1 npm run dev` and the e2e test point these at local emulators):
  // segmentCdnURL: 'https://cdn.segment.com',
  // klaviyoApiBase: 'https://a.klaviyo.com',
}
