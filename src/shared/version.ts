/** The mailstitch version, the one source for the SDK and the relay (kept equal to package.json by a unit test). */
export const version = '0.2.0'

/** `context.library.name` of every event the relay sends. */
export const RELAY_NAME = 'mailstitch-relay'
