import { eachTool, type RuleContext } from './context.js';

/**
 * `signature_version: tng2` keeps a tool on the legacy HMAC line, which signs no header: a rewritten
 * `X-Tengine-Member-Id` still verifies (docs/outbound.md §4.8). Allowed for migrations, so a warning; on a tool
 * that does not sign, the setting waits silently for a strategy change, so it is flagged there too.
 */
export function checkSignatureVersions(ctx: RuleContext): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    const at = `${pointer}/signature_version`;
    if (tool.signature_version !== 'tng2' || !ctx.isClean(at)) continue;
    const signs = tool.auth_strategy === 'hmac_signature' && ctx.isClean(`${pointer}/auth_strategy`);
    ctx.report(
      'TNG233',
      signs
        ? `tool "${String(tool.name)}" signs with the legacy tng2 line, which covers no header: a rewritten X-Tengine-Member-Id, -Email, -Roles, project or integration header still verifies`
        : `signature_version: tng2 has no effect without auth_strategy: hmac_signature, and would sign the legacy tng2 line (no identity headers) if the strategy changed`,
      at,
    );
  }
}
