import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
// Imported first: Segment and mailstitch start before React renders the first route.
import './analytics'
import { App } from './App'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
