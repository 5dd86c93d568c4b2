/** A storefront body with `elements` elements in all, `forms` of them email forms with their fields. */
export function heavyBody(elements = 2000, forms = 50): string {
  const parts: string[] = []
  let n = 0
  // Each form: form + label + email input + name input + hidden + button = 6 elements.
  for (let f = 0; f < forms; f++) {
    parts.push(
      `<form method="post" action="/contact" id="f${f}" class="newsletter"><label for="e${f}">Email</label><input id="e${f}" type="email" name="contact[email]"><input type="text" name="contact[first_name]"><input type="hidden" name="form_type" value="customer"><button type="submit">Join</button></form>`,
    )
    n += 6
  }
  // The rest: product cards (div > a > img-less span + p), 4 elements each, then fillers.
  let i = 0
  while (n + 4 <= elements) {
    parts.push(`<div class="card"><a href="/p/${i}"><span>Product ${i}</span></a><p>$${(i % 90) + 10}.00</p></div>`)
    n += 4
    i++
  }
  while (n < elements) (parts.push(`<span>${n}</span>`), n++)
  return `<main>${parts.join('')}</main>`
}
