// The runner: what the core hands over once a page has a landing to decide or a job to run
// (see `Runner` in core/context.ts). Nothing in src/browser/core imports it (scripts/import-graph.test.ts).
export { decideLanding } from './landing-decision'
export { flushOutbox, runJob } from './job-runner'
export { version } from '../../shared/version'
export { clearState as forgetVisitor } from './state-cookie'
export { waitForShopifyConsent } from '../core/consent'
