/** Small statistics and formatting helpers for the bench table. */

export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}
export const median = (xs: number[]) => quantile(xs, 0.5)
export const p95 = (xs: number[]) => quantile(xs, 0.95)
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
/** Interquartile range: the spread a difference has to beat to be called measurable. */
export const iqr = (xs: number[]) => quantile(xs, 0.75) - quantile(xs, 0.25)

export const ms = (v: number, digits = 2) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'n/a')
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`
export const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a')
export const num = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a')
/** `a / b` as "0.12×"; "n/a" when undefined. */
export function ratio(a: number, b: number, digits = 2): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return a === 0 && b === 0 ? '1.00×' : 'n/a'
  return `${(a / b).toFixed(digits)}×`
}

/** One line of the results table. */
export interface Row {
  /** Row number from the issue (1–7), for grouping. */
  n: number
  figure: string
  mailstitch: string
  baseline: string
  ratio: string
  goal: string
  /** true = met, false = missed, null = no goal / not measured. */
  met: boolean | null
}

/** What one benchmark hands back: table rows, plus notes for docs/benchmarks.md. */
export interface Section {
  rows: Row[]
  notes: string[]
  /** Wall time of this section in seconds (filled in by run.ts). */
  seconds?: number
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function table(rows: Row[]): string {
  const head = '| # | Figure | mailstitch | Baseline | Ratio | Goal | Met? |\n|---|---|---|---|---|---|---|'
  const lines = rows.map((r) =>
    `| ${r.n} | ${cell(r.figure)} | ${cell(r.mailstitch)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${cell(r.goal)} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
  )
  return [head, ...lines].join('\n')
}
