// The web pixel's entry point: Shopify's pixel manager runs it in its sandbox and hands
// `register` the extension API (analytics, init, settings, customerPrivacy).
import { register } from '@shopify/web-pixels-extension'
import { startMailstitchPixel } from './pixel'

register((api) => {
  startMailstitchPixel(api)
})
