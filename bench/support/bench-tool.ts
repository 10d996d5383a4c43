// The one tool every MCP benchmark calls: a GET with a path parameter, a query parameter, validated input and a
// validated JSON result, against bench/support/upstream-server.mjs.

/** The benchmark's `get_record` tool, calling the loopback upstream on `upstreamPort`. */
export function getRecordTool(upstreamPort: number) {
  return {
    name: 'get_record',
    description: 'Fetch a record by id.',
    input_schema: { type: 'object', properties: { id: { type: 'string', minLength: 1 }, expand: { type: 'string', enum: ['owner', 'none'] } }, required: ['id'] },
    output_schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id'] },
    base_url: `http://127.0.0.1:${upstreamPort}`,
    http_method: 'GET' as const,
    endpoint_path: '/records/{id}',
    query_template: { expand: '{expand}' },
  };
}

/** The JSON-RPC body of one call of it. */
export const GET_RECORD_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_record', arguments: { id: 'rec_123', expand: 'owner' } } });
