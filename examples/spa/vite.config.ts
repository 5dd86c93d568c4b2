import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { exampleBackend } from './dev-api'

export default defineConfig({
  // exampleBackend: POST /api/subscribe for the forms, and MAILSTITCH_DEMO=1 (see README).
  plugins: [react(), exampleBackend()],
  build: { target: 'es2020', sourcemap: true },
})
