// A controlled signup form the way SPAs write them: state in React, preventDefault, fetch.
// mailstitch's capturing submit listener sees the form anyway; `data-mailstitch-subscribe` marks
// it as an opt-in, so the email is also subscribed to the Klaviyo list.
import { useState, type FormEvent } from 'react'

export function SignupForm({ id, label }: { id: string; label: string }) {
  const [email, setEmail] = useState('')
  const [state, setState] = useState<'idle' | 'sending' | 'done' | 'error'>('idle')

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault()
    setState('sending')
    try {
      const res = await fetch('/api/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, list: id }),
      })
      setState(res.ok ? 'done' : 'error')
    } catch {
      setState('error')
    }
  }

  if (state === 'done') return <p id={`${id}-done`}>Thanks! Check your inbox.</p>
  return (
    <form id={id} onSubmit={onSubmit} data-mailstitch-subscribe>
      <label htmlFor={`${id}-email`}>{label}</label>
      <input id={`${id}-email`} type="email" name="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <button type="submit" id={`${id}-submit`} disabled={state === 'sending'}>Subscribe</button>
      {state === 'error' && <span role="alert">Something went wrong, try again.</span>}
    </form>
  )
}
