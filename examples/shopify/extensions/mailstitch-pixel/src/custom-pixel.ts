// Entry of the custom-pixel build (Settings → Customer events → Add custom pixel), for stores
// without an app: the same pixel, with the standard API (analytics, init, customerPrivacy,
// browser) taken from the custom pixel's globals and the settings baked in by scripts/build-custom-pixel.mjs.
import { startMailstitchPixel, type PixelApi } from './pixel'

declare const analytics: PixelApi['analytics']
declare const init: PixelApi['init']
declare const customerPrivacy: PixelApi['customerPrivacy'] | undefined
declare const browser: PixelApi['browser'] | undefined
declare const MAILSTITCH_PIXEL_SETTINGS: Record<string, string>

startMailstitchPixel({
  analytics,
  init,
  customerPrivacy: typeof customerPrivacy === 'undefined' ? undefined : customerPrivacy,
  browser: typeof browser === 'undefined' ? undefined : browser,
  settings: MAILSTITCH_PIXEL_SETTINGS,
})
