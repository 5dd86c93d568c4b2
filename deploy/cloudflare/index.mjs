// The Worker's entry: mailstitch's relay, whose default export is `{ fetch, scheduled }` (the
// webhooks, and one poll pass per Cron Trigger), and the poll's Durable Object class, which
// wrangler.toml binds as MAILSTITCH_STATE (Cloudflare needs the class exported from the entry).
export { default, MailstitchPollState } from 'mailstitch/relay/worker'
