import { expect, it } from 'vitest'
import { deviceUrl } from './console'

it('deviceUrl moves a store link to the other host name, and nothing else', () => {
  const a = 'http://127.0.0.1:8780'
  const b = 'http://localhost:8780'
  expect(deviceUrl(`${a}/p?mst=x#r`, 'other', a, b)).toBe(`${b}/p?mst=x#r`)
  expect(deviceUrl(`${a}/p`, 'same', a, b)).toBe(`${a}/p`)
  expect(deviceUrl('https://elsewhere.test/p', 'other', a, b)).toBe('https://elsewhere.test/p')
  expect(deviceUrl('not a url', 'other', a, b)).toBe('not a url')
})
