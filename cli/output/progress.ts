import type { LoadProgress } from '../config/load-config.js';
import type { CliIo } from '../io.js';

/** `--progress` (true), `--no-progress` (false), or neither (undefined: automatic). */
export type ProgressFlag = boolean | undefined;

/** Configs with more tools than this show progress on their own when stderr is a terminal. */
export const AUTO_PROGRESS_TOOLS = 1000;

/** How progress is written: one rewritten line on a terminal, whole lines in a log, or nothing. */
type Mode = 'line' | 'lines' | 'off';

/** Writes progress to stderr; `done` clears a rewritten line so the command's own output starts on a clean line. */
export interface ProgressReporter {
  /** A step of loading the config. */
  load(event: LoadProgress): void;
  /** A step after loading (build: signing the bundle), with the number of tools. */
  step(text: string, tools: number): void;
  done(): void;
}

/**
 * A progress reporter for a command. Progress goes to stderr only, so stdout (human text, JSON, SARIF, GitHub
 * annotations, a bundle written to `-`) is the same with or without it. `--progress` turns it on (whole lines when
 * stderr is not a terminal, e.g. a CI log); without a flag it appears on a terminal once the config passes
 * AUTO_PROGRESS_TOOLS tools; `--no-progress` turns it off.
 */
export function progressReporter(io: CliIo, flag: ProgressFlag, now: () => number = () => performance.now()): ProgressReporter {
  const mode: Mode = flag === false || (flag === undefined && !io.errIsTTY) ? 'off' : io.errIsTTY ? 'line' : 'lines';
  const forced = flag === true;
  let shown = false;
  let lastAt = -Infinity;
  let lastStage = '';
  const write = (text: string, stage: string, tools: number, important: boolean) => {
    if (mode === 'off' || (!forced && tools <= AUTO_PROGRESS_TOOLS)) return;
    if (mode === 'line') {
      // A terminal line is redrawn at most ten times a second: the writes must not cost what they report on.
      const t = now();
      if (!important && t - lastAt < 100) return;
      lastAt = t;
      io.err(`\r\x1b[K${text}`);
    } else {
      // In a log, one line per stage change and per tenth of the files read.
      if (!important && stage === lastStage) return;
      io.err(`${text}\n`);
    }
    lastStage = stage;
    shown = true;
  };
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return {
    load(e) {
      if (e.stage === 'read') {
        const tenth = Math.floor((e.files * 10) / Math.max(e.totalFiles, 1));
        write(`progress: read ${e.files}/${plural(e.totalFiles, 'file')} (${plural(e.tools, 'tool')})`, `read${mode === 'lines' ? tenth : ''}`, e.tools, e.files === e.totalFiles);
      } else {
        write(`progress: checking ${plural(e.tools, 'tool')}`, 'check', e.tools, true);
      }
    },
    step(text, tools) {
      write(`progress: ${text} (${plural(tools, 'tool')})`, text, tools, true);
    },
    done() {
      if (shown && mode === 'line') io.err('\r\x1b[K');
      shown = false;
    },
  };
}
