import { version } from '../shared/version'

/** Version of mailstitch reported in `context.library.version` of every relayed event. */
export const RELAY_VERSION: string = version
