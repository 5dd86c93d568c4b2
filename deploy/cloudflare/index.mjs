// The Worker's entry: mailstitch's webhook relay, whose default export is `{ fetch }`.
export { default } from 'mailstitch/relay/worker'
