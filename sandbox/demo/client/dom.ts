/**
 * The only way the demo's browser code builds markup: elements with attributes and text nodes.
 * Strings are always text (never parsed as HTML); URL attributes only take http(s) or
 * same-origin paths, so data cannot smuggle in `javascript:` links.
 */
export type Child = Node | string | number | null | undefined | false | Child[]

export interface Props {
  class?: string
  title?: string
  id?: string
  href?: string
  src?: string
  type?: string
  target?: string
  rel?: string
  sandbox?: string
  hidden?: boolean
  disabled?: boolean
  checked?: boolean
  /** `data-*` attributes (without the prefix). */
  data?: Record<string, string>
  on?: Partial<Record<'click' | 'change' | 'submit' | 'load', (e: Event) => void>>
  style?: string
  [attr: `aria-${string}`]: string | undefined
}

/** True for a URL the demo may link to: a path on this origin, or http(s). */
export function safeUrl(u: string): boolean {
  if (u.startsWith('/') && !u.startsWith('//')) return true
  try {
    const p = new URL(u, location.href).protocol
    return p === 'http:' || p === 'https:'
  } catch {
    return false
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue
      if (k === 'on') {
        for (const [ev, fn] of Object.entries(v as NonNullable<Props['on']>)) el.addEventListener(ev, fn as EventListener)
      } else if (k === 'data') {
        for (const [dk, dv] of Object.entries(v as Record<string, string>)) el.dataset[dk] = dv
      } else if (k === 'hidden' || k === 'disabled' || k === 'checked') {
        ;(el as unknown as Record<string, boolean>)[k] = true
      } else if (k === 'href' || k === 'src') {
        if (safeUrl(String(v))) el.setAttribute(k, String(v))
      } else {
        el.setAttribute(k, String(v))
      }
    }
  }
  append(el, children)
  return el
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

/** Replace the children of `el`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren()
  append(el, children)
}

export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { cache: 'no-store' })
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`)
  return (await r.json()) as T
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const v = (await r.json()) as T & { error?: string }
  if (!r.ok) throw new Error(v.error ?? `HTTP ${r.status}`)
  return v
}

/** `HH:MM:SS` in the browser's time zone. */
export function clock(ms: number | string): string {
  const d = new Date(ms)
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

/** First 8 characters of a long id, for display (the full id goes in the title). */
export function short(id: string, n = 8): string {
  return id.length > n + 1 ? id.slice(0, n) + '…' : id
}
