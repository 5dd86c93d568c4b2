/**
 * Loads klaviyo-api, the Klaviyo API client the poll and `relay check` use. It is an optional peer
 * dependency (about 40 MB with axios), so an install of the browser SDK does not carry it: the
 * relay imports it on first use and, when it is missing, says which package to install instead of
 * Node's module-resolution error.
 */
import { MissingPackageError } from './errors'

/** The klaviyo-api module, as imported. */
export type KlaviyoSdk = typeof import('klaviyo-api')

/** The package name, as npm spells it. */
export const KLAVIYO_SDK_PACKAGE = 'klaviyo-api'

/** The command that installs it, in the major version package.json's peerDependencies names. */
export const KLAVIYO_SDK_INSTALL = 'npm install klaviyo-api@23'

/**
 * Import klaviyo-api (Node caches the module: later calls are cheap). Rejects with
 * {@link MissingPackageError} when it is not installed; any other failure (a broken install) is
 * passed on as it is.
 */
export async function loadKlaviyoSdk(importSdk: () => Promise<KlaviyoSdk> = () => import('klaviyo-api')): Promise<KlaviyoSdk> {
  try {
    return await importSdk()
  } catch (err) {
    if (isNotFound(err, KLAVIYO_SDK_PACKAGE)) throw new MissingPackageError(KLAVIYO_SDK_PACKAGE, 'the Klaviyo API client that relay poll and relay check use', KLAVIYO_SDK_INSTALL, err)
    throw err
  }
}

/** Node's "package not found" (ESM `ERR_MODULE_NOT_FOUND`, CJS `MODULE_NOT_FOUND`) for this package itself, not for one of its files or dependencies. */
function isNotFound(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code
  const message = (err as { message?: unknown } | null)?.message
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`))
}
