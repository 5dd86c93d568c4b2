/**
 * Test helper (not shipped: nothing in index.ts imports it): a tiny node:http server whose handler
 * the test supplies, used by the unit tests to stand in for Klaviyo or Segment.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/** Reply chosen by the test for one request. */
export interface FakeReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** A running fake server. */
export interface FakeServer {
  url: string
  requests: SeenRequest[]
  close(): Promise<void>
}

/** Start a fake HTTP server on 127.0.0.1 with a random port. */
export async function startFakeServer(handler: (req: SeenRequest) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  const requests: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(seen)
      try {
        const reply = await handler(seen)
        const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        res.end(text)
      } catch (err) {
        res.writeHead(500)
        res.end(String(err))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A port on which nothing listens (bound then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
