import type { CallerIdentity, McpToolDefinition } from '../execute/types.js';
import type { ToolResult } from '../execute/tool-errors.js';

/** Name of the built-in introspection tool (compatible with Enginy's `mcp_whoami`). */
export const WHOAMI_TOOL = 'mcp_whoami';

/** The `tools/list` entry of the built-in tool. */
export const WHOAMI_DEFINITION: McpToolDefinition = {
  name: WHOAMI_TOOL,
  title: 'Who am I',
  description:
    'Returns the identity this connection acts as: project, integration, member (when a member session is used), granted scopes and the digest of the configuration bundle being served. Use it to check that the connection works and which permissions apply.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  outputSchema: {
    type: 'object',
    properties: {
      project_id: { type: 'string' },
      integration_id: { type: 'string' },
      auth: { type: 'string', enum: ['api_key', 'member', 'oauth'] },
      member: {
        type: 'object',
        properties: { id: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
        required: ['id'],
      },
      scopes: { type: ['array', 'null'], items: { type: 'string' } },
      bundle_digest: { type: 'string' },
    },
    required: ['project_id', 'integration_id', 'auth', 'bundle_digest'],
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
};

/** Answers `mcp_whoami` from the caller identity; no upstream is involved. */
export function whoami(caller: CallerIdentity, bundleDigest: string): ToolResult {
  const info: Record<string, unknown> = {
    project_id: caller.projectId,
    integration_id: caller.integrationId,
    auth: caller.kind,
    // API keys and member sessions are not scope-limited; null says "no scope restriction".
    scopes: caller.scopes ?? null,
    bundle_digest: bundleDigest,
  };
  if (caller.member) info.member = caller.member;
  return { content: [{ type: 'text', text: JSON.stringify(info) }], structuredContent: info };
}
