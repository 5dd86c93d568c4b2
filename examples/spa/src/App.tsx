import { useCallback, useEffect, useState } from 'react'
import { analytics, stitch } from './analytics'
import { Link, Router, usePath } from './router'
import { SignupForm } from './SignupForm'

interface User { id: string; name: string }

function Home() {
  return (
    <main>
      <h1>Hand-stitched basics</h1>
      <p><Link to="/products/stitched-tee" id="to-product">Stitched Tee</Link></p>
      <SignupForm id="footer-signup" label="Get 10% off your first order" />
    </main>
  )
}

function Product() {
  // Links the app builds itself (a "share" or "email me this" link) can carry the bridge id.
  const share = new URL(location.href)
  for (const [k, v] of Object.entries(stitch.linkParams())) share.searchParams.set(k, v)
  return (
    <main>
      <h1>Stitched Tee</h1>
      <p>$25.00</p>
      <p><Link to="/newsletter" id="to-newsletter">Join the newsletter</Link></p>
      <p><a id="share-link" href={share.toString()}>Link to this page</a></p>
    </main>
  )
}

function Newsletter() {
  // This form only exists after a client-side route change.
  return (
    <main>
      <h1>Newsletter</h1>
      <SignupForm id="newsletter-signup" label="Your email" />
    </main>
  )
}

function Account({ user, setUser }: { user: User | null; setUser(u: User | null): void }) {
  const logIn = async () => {
    // Your auth answers with the user's id; identify them by it (Klaviyo's external_id follows).
    const u = { id: 'cust_1001', name: 'Ada' }
    await analytics.identify(u.id, { first_name: u.name })
    setUser(u)
  }
  const logOut = async () => {
    await analytics.reset()
    setUser(null)
  }
  return (
    <main>
      <h1>Account</h1>
      {user ? (
        <>
          <p id="signed-in">Signed in as {user.name}</p>
          <SignupForm id="account-signup" label="Email me about new arrivals" />
          <button id="log-out" onClick={logOut}>Log out</button>
        </>
      ) : (
        <button id="log-in" onClick={logIn}>Log in</button>
      )}
    </main>
  )
}

function Routes({ user, setUser }: { user: User | null; setUser(u: User | null): void }) {
  const { path } = usePath()
  if (path.startsWith('/products/')) return <Product />
  if (path === '/newsletter') return <Newsletter />
  if (path === '/account') return <Account user={user} setUser={setUser} />
  return <Home />
}

export function App() {
  const [user, setUser] = useState<User | null>(null)
  useEffect(() => {
    // Restore a logged-in state across reloads (analytics.js keeps the userId).
    void analytics.user().then((u) => { const id = u.id(); if (id) setUser({ id, name: String(u.traits()?.first_name ?? '') }) })
  }, [])
  // The first page call is in analytics.ts (once per page load); this one follows route changes.
  const onNavigate = useCallback(() => void analytics.page(), [])
  return (
    <Router onNavigate={onNavigate}>
      <header>
        <Link to="/" id="to-home">Stitch &amp; Co</Link> · <Link to="/newsletter" id="nav-newsletter">Newsletter</Link> ·{' '}
        <Link to="/account" id="to-account">{user ? user.name || 'Account' : 'Log in'}</Link>
      </header>
      <Routes user={user} setUser={setUser} />
    </Router>
  )
}
