import { parseDuration } from '../../../schemas/duration.js';
import { idempotencyEnabled, MAX_IDEMPOTENCY_WINDOW_MS } from '../../../runtime/usage/idempotency.js';
import { eachProject, eachTool, isObject, type RuleContext } from './context.js';

/** Shortest window: a retry comes after the client has noticed a failure, which takes longer than this. */
const MIN_WINDOW_MS = 1000;

/**
 * Idempotent retries (docs/usage.md#idempotent-retries): a window outside 1s–24h (TNG227; the schema already refuses
 * a zero or negative one) ends before a client can retry, or keeps customer results in the store long after any
 * retry. A tool whose retries are not de-duplicated but which sets `window` or `max_result_bytes` (TNG238) was
 * probably meant to be, e.g. a GET tool given a window without `enabled: true`.
 */
export function checkIdempotency(ctx: RuleContext): void {
  for (const { project, pointer } of eachProject(ctx)) checkWindow(ctx, project.idempotency, `${pointer}/idempotency`);
  for (const { project, tool, pointer } of eachTool(ctx)) {
    const at = `${pointer}/idempotency`;
    const own = tool.idempotency;
    if (!isObject(own) || !ctx.isClean(at)) continue;
    checkWindow(ctx, own, at);
    const projectDefault = isObject(project.idempotency) ? project.idempotency : undefined;
    if (idempotencyEnabled(tool, projectDefault)) continue;
    const unused = (['window', 'max_result_bytes'] as const).filter((k) => own[k] !== undefined);
    if (unused.length === 0) continue;
    const why =
      own.enabled === false ? 'it sets enabled: false'
      : projectDefault?.enabled === false ? "its project's idempotency sets enabled: false"
      : tool.http_method === 'GET' ? 'GET tools are safe to repeat and not de-duplicated unless enabled: true'
      : 'it is annotated idempotentHint: true, so its retries are not de-duplicated unless enabled: true';
    ctx.report('TNG238', `tool "${String(tool.name).slice(0, 64)}" sets idempotency ${unused.join(' and ')}, which has no effect: ${why}`, `${at}/${unused[0]}`, { key: true });
  }
}

function checkWindow(ctx: RuleContext, settings: unknown, at: string): void {
  if (!isObject(settings) || typeof settings.window !== 'string' || !ctx.isClean(`${at}/window`)) return;
  let ms: number;
  try {
    ms = parseDuration(settings.window);
  } catch {
    ms = Infinity; // past what a duration can hold: certainly too long
  }
  if (ms >= MIN_WINDOW_MS && ms <= MAX_IDEMPOTENCY_WINDOW_MS) return;
  ctx.report('TNG227', `idempotency window ${settings.window} is outside 1s–24h`, `${at}/window`, {
    hint: 'use a window from 1s to 24h (docs/usage.md#idempotent-retries): shorter ends before a client can retry; longer keeps customer results in the store long after any retry',
  });
}
