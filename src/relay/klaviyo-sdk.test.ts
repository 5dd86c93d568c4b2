import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MissingPackageError, RelayError } from './errors'
import { KLAVIYO_SDK_INSTALL, KLAVIYO_SDK_PACKAGE, loadKlaviyoSdk, type KlaviyoSdk } from './klaviyo-sdk'

/** The error Node's ESM loader gives for `import('<name>')` when the package is not installed (Node 20/22 wording). */
function notFound(name: string, code = 'ERR_MODULE_NOT_FOUND'): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/mailstitch/dist/cli.mjs`), { code })
}

describe('loadKlaviyoSdk', () => {
  it('loads the installed klaviyo-api', async () => {
    const sdk = await loadKlaviyoSdk()
    expect(typeof sdk.EventsApi).toBe('function')
    expect(typeof sdk.ApiKeySession).toBe('function')
  })

  it('turns "klaviyo-api is not installed" into a typed error naming the package and the install command', async () => {
    for (const code of ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']) {
      const err = await loadKlaviyoSdk(() => Promise.reject(notFound('klaviyo-api', code))).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(MissingPackageError)
      expect(err).toBeInstanceOf(RelayError)
      expect(err).toMatchObject({ code: 'missing_package', exitCode: 2, packageName: 'klaviyo-api', install: 'npm install klaviyo-api@23' })
      expect((err as Error).message).toMatch(/klaviyo-api .*is not installed.*optional peer dependency.*npm install klaviyo-api@23$/)
    }
  })

  it('passes on other failures as they are (a broken install is not a missing package)', async () => {
    const axiosMissing = notFound('axios')
    await expect(loadKlaviyoSdk(() => Promise.reject(axiosMissing))).rejects.toBe(axiosMissing)
    const syntax = new SyntaxError('Unexpected token')
    await expect(loadKlaviyoSdk(() => Promise.reject(syntax))).rejects.toBe(syntax)
  })

  it('tries again after a failure (the user ran npm install in between)', async () => {
    await expect(loadKlaviyoSdk(() => Promise.reject(notFound('klaviyo-api')))).rejects.toBeInstanceOf(MissingPackageError)
    const fake = { EventsApi: class {} } as unknown as KlaviyoSdk
    await expect(loadKlaviyoSdk(() => Promise.resolve(fake))).resolves.toBe(fake)
  })

  it('asks for the major version package.json declares (peer and dev dependency)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    expect(pkg.dependencies?.[KLAVIYO_SDK_PACKAGE]).toBeUndefined()
    expect(pkg.peerDependencies[KLAVIYO_SDK_PACKAGE]).toBe('^23.0.0')
    expect(pkg.peerDependenciesMeta[KLAVIYO_SDK_PACKAGE]).toEqual({ optional: true })
    expect(pkg.devDependencies[KLAVIYO_SDK_PACKAGE]).toBe('^23.0.0')
    const major = /^\^(\d+)\./.exec(pkg.peerDependencies[KLAVIYO_SDK_PACKAGE])![1]
    expect(KLAVIYO_SDK_INSTALL).toBe(`npm install ${KLAVIYO_SDK_PACKAGE}@${major}`)
  })
})
