import { createRequire } from 'node:module';
import type * as Undici from 'undici';

// undici's index loads all of undici (fetch, WebSocket, caches, mocks, cookies, ...: about 110 files, 50-70 ms of
// every boot); the upstream client needs its Pool and its connector only, loaded from their own files (undici has
// no `exports` map, so these paths are public). The same files the index loads, so classes and errors are the same.
const require = createRequire(import.meta.url);

/** undici's `Pool` (the class `import { Pool } from 'undici'` gives). */
export const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
/** An undici `Pool`. */
export type Pool = Undici.Pool;
/** undici's `buildConnector`. */
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
