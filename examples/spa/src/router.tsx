// A tiny client-side router (history.pushState): enough for the example, no dependency.
import { createContext, useContext, useEffect, useState, type MouseEvent, type ReactNode } from 'react'

const PathContext = createContext<{ path: string; navigate(to: string): void }>({ path: '/', navigate: () => {} })

// `onNavigate` runs on each route change (a link, back/forward), never on a render or an effect:
// React's StrictMode runs effects twice in development, which would send every page call twice.
export function Router({ children, onNavigate }: { children: ReactNode; onNavigate?(path: string): void }) {
  const [path, setPath] = useState(location.pathname)
  useEffect(() => {
    const onPop = () => {
      setPath(location.pathname)
      onNavigate?.(location.pathname)
    }
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [onNavigate])
  const navigate = (to: string) => {
    if (to === location.pathname) return
    history.pushState(null, '', to)
    setPath(to)
    onNavigate?.(to)
  }
  return <PathContext.Provider value={{ path, navigate }}>{children}</PathContext.Provider>
}

export const usePath = () => useContext(PathContext)

export function Link({ to, children, id }: { to: string; children: ReactNode; id?: string }) {
  const { navigate } = usePath()
  const onClick = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
    e.preventDefault()
    navigate(to)
  }
  return <a href={to} id={id} onClick={onClick}>{children}</a>
}
