// The upstream behind the runtime in the conformance job, and the config that maps each server scenario's tool to
// it. Each tool answers what its scenario checks, the way a real HTTP API would: plain text, a PNG, a WAV, an MCP
// content array (for the scenarios that need an embedded resource or mixed blocks, through `result: {format: mcp}`),
// a 500, and a response slow enough for progress notifications.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { startUpstream, type TestUpstream } from '../fixtures/runtime-harness.js';

/** A 1x1 red PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');

/** A 10 ms, 8 kHz, 8-bit mono WAV of silence: RIFF header, `fmt ` chunk, `data` chunk. */
function wav(): Buffer {
  const samples = Buffer.alloc(80, 0x80);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]);
}

/** How long the progress tool's upstream takes: several `runtime.progress_interval`s, so at least 3 notifications. */
export const SLOW_MS = 700;

type Answer = (res: ServerResponse) => void;
const send = (status: number, type: string, body: string | Buffer): Answer => (res) => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};
const json = (value: unknown) => send(200, 'application/json', JSON.stringify(value));

/** Upstream answers by path; each is what its scenario's tool must return. */
const ANSWERS: Record<string, Answer> = {
  '/simple-text': send(200, 'text/plain; charset=utf-8', 'This is a simple text response for testing.'),
  '/image': send(200, 'image/png', PNG),
  '/audio': send(200, 'audio/wav', wav()),
  '/embedded-resource': json({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }),
  '/mixed': json({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
    ],
  }),
  '/error': send(500, 'application/json', JSON.stringify({ error: 'This tool intentionally returns an error for testing' })),
  '/slow': (res) => {
    setTimeout(() => send(200, 'text/plain; charset=utf-8', 'Progress tool completed')(res), SLOW_MS);
  },
};

/** Starts the fixture upstream on loopback; `/echo` (POST) returns the request body as JSON. */
export function startConformanceUpstream(): Promise<TestUpstream> {
  return startUpstream((req: IncomingMessage, body: string, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const answer = ANSWERS[path];
    if (answer) return answer(res);
    if (path === '/echo') return json(body ? JSON.parse(body) : {})(res);
    send(404, 'application/json', '{"error":"not found"}')(res);
  });
}

const NO_ARGUMENTS = { type: 'object', properties: {} };

/** A GET tool without arguments calling `<upstream><path>`. */
function getTool(upstreamUrl: string, name: string, description: string, path: string, extra: Partial<Tool> = {}): Tool {
  return { name, description, input_schema: NO_ARGUMENTS, base_url: upstreamUrl, http_method: 'GET', endpoint_path: path, ...extra } as Tool;
}

/**
 * One development project (its upstream is on loopback) with an API-key integration `backend` and the tools the
 * server scenarios call, by the names the suite expects.
 */
export function conformanceConfig(upstreamUrl: string): TengineConfig {
  const tool = (name: string, description: string, path: string, extra: Partial<Tool> = {}) => getTool(upstreamUrl, name, description, path, extra);
  const mcp = { result: { format: 'mcp' } } as Partial<Tool>;
  return {
    version: 1,
    // The shortest interval the schema allows: the progress scenario wants 3 notifications from a 700 ms call.
    runtime: { progress_interval: '100ms' },
    projects: [
      {
        id: 'conformance',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('test_simple_text', 'Returns simple text (tools-call-simple-text)', '/simple-text'),
          tool('test_image_content', 'Returns a PNG image (tools-call-image)', '/image'),
          tool('test_audio_content', 'Returns a WAV clip (tools-call-audio)', '/audio'),
          tool('test_embedded_resource', 'Returns an embedded resource (tools-call-embedded-resource)', '/embedded-resource', mcp),
          tool('test_multiple_content_types', 'Returns text, an image and a resource (tools-call-mixed-content)', '/mixed', mcp),
          tool('test_error_handling', 'Always fails (tools-call-error)', '/error'),
          tool('test_tool_with_progress', 'Takes a while and reports progress (tools-call-with-progress)', '/slow'),
          {
            // SEP-2243 custom headers: the client mirrors `region` into `Mcp-Param-Region`, the server checks it.
            name: 'test_custom_headers',
            description: 'Echoes its arguments; region is mirrored in a header (http-custom-header-server-validation)',
            input_schema: {
              type: 'object',
              properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, query: { type: 'string' } },
              required: ['region', 'query'],
            },
            base_url: upstreamUrl,
            http_method: 'POST',
            endpoint_path: '/echo',
          } as Tool,
          {
            name: 'json_schema_2020_12_tool',
            description: 'Tool with JSON Schema 2020-12 features',
            // The prerelease's schema (a superset of the stable one): composition, conditionals and $anchor too.
            input_schema: {
              $schema: 'https://json-schema.org/draft/2020-12/schema',
              type: 'object',
              $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
              properties: {
                name: { type: 'string' },
                address: { $ref: '#/$defs/address' },
                contactMethod: { type: 'string', enum: ['phone', 'email'] },
                phone: { type: 'string' },
                email: { type: 'string' },
              },
              allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
              if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
              then: { required: ['phone'] },
              else: { required: ['email'] },
              additionalProperties: false,
            },
            base_url: upstreamUrl,
            http_method: 'POST',
            endpoint_path: '/echo',
          } as Tool,
        ],
      },
    ],
  } as TengineConfig;
}
