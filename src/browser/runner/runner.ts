// The runner: what the core hands over once a page has a landing to decide or a job to run
// (see runner-loader.ts).
export { decideLanding } from './landing-decision'
export { flushOutbox, runJob } from './job-runner'
export { version } from '../../shared/version'
