// A tiny client-side router (history.pushState): enough for the example, no dependency.
import { createContext, useContext, useEffect, useState, type MouseEvent, type ReactNode } from 'react'

const PathContext = createContext<{ path: string; navigate(to: string): void }>({ path: '/', navigate: () => {} })

export function Router({ children, onNavigate }: { children: ReactNode; onNavigate?(path: string): void }) {
  const [path, setPath] = useState(location.pathname)
  useEffect(() => {
    const onPop = () => setPath(location.pathname)
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [])
  useEffect(() => onNavigate?.(path), [path, onNavigate])
  const navigate = (to: string) => {
    if (to === location.pathname) return
    history.pushState(null, '', to)
    setPath(to)
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
