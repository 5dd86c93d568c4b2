/** Add an event listener (a locked-down page may refuse: capture() still works); returns the function that removes it. */
export const listen = (target: EventTarget, type: string, f: (e: any) => void, capture?: boolean) => {
  try { target.addEventListener(type, f, capture) } catch { /* refused */ }
  return () => target.removeEventListener(type, f, capture)
}

/**
 * The email of a form: the first filled `type=email` field or text field named like email,
 * preferring one that looks like an address (a form may have two: email + confirm); `undefined`
 * when there is none, `''` when all are empty.
 */
export function emailFrom(form: HTMLFormElement): string | undefined {
  let first
  for (const f of form.elements as unknown as Iterable<HTMLInputElement>)
    if (f.tagName == 'INPUT' && (f.type == 'email' || (f.type == 'text' && /e-?mail/i.test(f.name || f.id)))) {
      const v = f.value.trim()
      if (/.@.+\./.test(v)) return v
      first ||= v
    }
  return first
}
