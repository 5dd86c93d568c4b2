/** The demo store's catalog: a few products with inline SVG art (no image files, no network). */

export interface Product {
  slug: string
  id: string
  sku: string
  name: string
  category: string
  price: number
  /** Two colours of the product's illustration. */
  colors: [string, string]
  /** Shape drawn for it. */
  art: 'shirt' | 'tote' | 'mug' | 'throw'
  blurb: string
}

export const STORE_NAME = 'Harbor & Loom'
export const CURRENCY = 'USD'

export const PRODUCTS: readonly Product[] = [
  { slug: 'linen-overshirt', id: 'prod_1001', sku: 'HL-1001', name: 'Linen Overshirt', category: 'Apparel', price: 68, colors: ['#d9c7a7', '#8a7350'], art: 'shirt', blurb: 'Washed European linen, boxy fit, corozo buttons.' },
  { slug: 'waxed-canvas-tote', id: 'prod_1002', sku: 'HL-1002', name: 'Waxed Canvas Tote', category: 'Bags', price: 42, colors: ['#7d8a5a', '#4a5530'], art: 'tote', blurb: 'Water-resistant 14 oz canvas with leather handles.' },
  { slug: 'stoneware-mug', id: 'prod_1003', sku: 'HL-1003', name: 'Stoneware Mug', category: 'Home', price: 24, colors: ['#c9825b', '#7a4128'], art: 'mug', blurb: 'Wheel-thrown, speckled glaze, 12 oz.' },
  { slug: 'merino-throw', id: 'prod_1004', sku: 'HL-1004', name: 'Merino Throw', category: 'Home', price: 120, colors: ['#7f8fa6', '#3f4d63'], art: 'throw', blurb: 'Lambswool and merino, woven in Portugal.' },
]

export function productBySlug(slug: string): Product | undefined {
  return PRODUCTS.find((p) => p.slug === slug)
}

/** Segment e-commerce spec properties of a product. */
export function productProperties(p: Product, quantity = 1): Record<string, unknown> {
  return { product_id: p.id, sku: p.sku, name: p.name, category: p.category, price: p.price, currency: CURRENCY, quantity, url: `/products/${p.slug}` }
}

/** The product's illustration (constant markup: no data goes into it but our own colours). */
export function productSvg(p: Product, size = 220): string {
  const [a, b] = p.colors
  const shapes: Record<Product['art'], string> = {
    shirt: `<path d="M70 40 L95 28 Q110 42 125 28 L150 40 L178 70 L158 88 L148 78 L148 170 L72 170 L72 78 L62 88 L42 70 Z" fill="${a}" stroke="${b}" stroke-width="4" stroke-linejoin="round"/><path d="M110 44 L110 168" stroke="${b}" stroke-width="3"/><circle cx="110" cy="70" r="3" fill="${b}"/><circle cx="110" cy="100" r="3" fill="${b}"/><circle cx="110" cy="130" r="3" fill="${b}"/>`,
    tote: `<path d="M85 70 Q85 35 110 35 Q135 35 135 70" fill="none" stroke="${b}" stroke-width="7"/><rect x="55" y="68" width="110" height="108" rx="6" fill="${a}" stroke="${b}" stroke-width="4"/><rect x="75" y="100" width="70" height="38" rx="3" fill="none" stroke="${b}" stroke-width="3" stroke-dasharray="6 4"/>`,
    mug: `<rect x="58" y="62" width="88" height="104" rx="10" fill="${a}" stroke="${b}" stroke-width="4"/><path d="M146 88 Q178 88 178 114 Q178 140 146 140" fill="none" stroke="${b}" stroke-width="9"/><circle cx="80" cy="96" r="2.5" fill="${b}"/><circle cx="112" cy="122" r="2.5" fill="${b}"/><circle cx="92" cy="146" r="2.5" fill="${b}"/><circle cx="126" cy="84" r="2.5" fill="${b}"/>`,
    throw: `<rect x="45" y="50" width="130" height="120" rx="8" fill="${a}" stroke="${b}" stroke-width="4"/><path d="M45 80 H175 M45 110 H175 M45 140 H175" stroke="${b}" stroke-width="3" opacity=".6"/><path d="M55 170 v12 M70 170 v12 M85 170 v12 M100 170 v12 M115 170 v12 M130 170 v12 M145 170 v12 M160 170 v12" stroke="${b}" stroke-width="3"/>`,
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 220 200" width="${size}" height="${Math.round((size * 200) / 220)}" role="img" aria-label="${p.name}">${shapes[p.art]}</svg>`
}
