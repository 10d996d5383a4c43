#!/usr/bin/env node
import process from 'node:process';
import { processIo } from './io.js';
import { runCli } from './program.js';

// The only place in the CLI that ends the process: every command returns an exit code instead.
const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
