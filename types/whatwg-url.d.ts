/**
 * The WHATWG URL Standard's `URL` and `URLSearchParams` (https://url.spec.whatwg.org/), which every
 * runtime mailstitch targets has (browsers, Node, Workers, Lambda) but ES itself does not declare.
 * Only the pure-ES configuration (tsconfig.shared.json) includes this file; the other runtimes get
 * these classes from lib DOM, lib WebWorker or @types/node. Members are the ones src/shared and
 * src/journey use; add one here when code needs it.
 */
declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | string[][] | URLSearchParams)
  get(name: string): string | null
  getAll(name: string): string[]
  has(name: string): boolean
  set(name: string, value: string): void
  append(name: string, value: string): void
  delete(name: string): void
  toString(): string
  [Symbol.iterator](): IterableIterator<[string, string]>
}

declare class URL {
  constructor(url: string, base?: string | URL)
  hash: string
  host: string
  hostname: string
  href: string
  readonly origin: string
  pathname: string
  port: string
  protocol: string
  search: string
  readonly searchParams: URLSearchParams
  toString(): string
}
