#!/usr/bin/env node
// Serve this static storefront locally, with your keys filled in:
//
//   SEGMENT_WRITE_KEY=… KLAVIYO_PUBLIC_KEY=… [KLAVIYO_LIST_ID=…] [PORT=8080] node serve.mjs
//
// /mailstitch.min.js and the runner it loads, /mailstitch-runner.min.js, come from the package's
// dist/ (MAILSTITCH_JS overrides the path of the first; the runner and snippet.mjs, which renders
// the inline snippet into index.html, are read beside it). POST
// /subscribe and /restock stand in for your backend (a newsletter endpoint, a restock alert).
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const sdk = process.env.MAILSTITCH_JS || join(here, '../../dist/mailstitch.min.js')
const port = Number(process.env.PORT || 8080)

// The inline snippet's renderer (in an app: `import { snippet } from 'mailstitch/snippet'`).
const { snippet } = await import(pathToFileURL(join(dirname(sdk), 'snippet.mjs')).href)

/** Put the keys and the inline snippet into a page; without a list id it is left out. */
export function fill(html, env = process.env) {
  const companyId = env.KLAVIYO_PUBLIC_KEY || 'YOUR_KLAVIYO_PUBLIC_KEY'
  const inline = snippet({ src: '/mailstitch.min.js', klaviyoCompanyId: companyId, klaviyoListId: env.KLAVIYO_LIST_ID || undefined })
  let out = html
    .replaceAll('MAILSTITCH_SNIPPET', () => inline)
    .replaceAll('YOUR_SEGMENT_WRITE_KEY', env.SEGMENT_WRITE_KEY || 'YOUR_SEGMENT_WRITE_KEY')
    .replaceAll('YOUR_KLAVIYO_PUBLIC_KEY', env.KLAVIYO_PUBLIC_KEY || 'YOUR_KLAVIYO_PUBLIC_KEY')
  out = env.KLAVIYO_LIST_ID ? out.replaceAll('YOUR_KLAVIYO_LIST_ID', env.KLAVIYO_LIST_ID) : out.replace(/\s*data-klaviyo-list-id="YOUR_KLAVIYO_LIST_ID"/g, '')
  return out
}

createServer(async (req, res) => {
  const url = new URL(req.url || '/', 'http://localhost')
  try {
    if (req.method === 'POST' && url.pathname === '/subscribe') return res.writeHead(303, { location: '/index.html?subscribed=1' }).end()
    if (req.method === 'POST' && url.pathname === '/restock') return res.writeHead(204).end()
    if (url.pathname === '/mailstitch.min.js')
      return res.writeHead(200, { 'content-type': 'application/javascript' }).end(await readFile(sdk))
    // The runner mailstitch.min.js loads from beside itself on a page with a landing or a capture.
    if (url.pathname === '/mailstitch-runner.min.js')
      return res.writeHead(200, { 'content-type': 'application/javascript' }).end(await readFile(join(dirname(sdk), 'mailstitch-runner.min.js')))
    const file = normalize(join(here, url.pathname === '/' ? 'index.html' : url.pathname))
    if (!file.startsWith(here) || !file.endsWith('.html')) return res.writeHead(404).end('not found')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(fill(await readFile(file, 'utf8')))
  } catch {
    res.writeHead(404).end('not found')
  }
}).listen(port, '127.0.0.1', () => console.log(`storefront: http://127.0.0.1:${port}/`))
