import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { RPC } from './protocol.js';

describe('RPC error codes', () => {
  it('JSON-RPC 2.0 §5.1: the standard codes written out in protocol.ts equal the MCP SDK ErrorCode', () => {
    expect(RPC.ParseError).toBe(ErrorCode.ParseError);
    expect(RPC.InvalidRequest).toBe(ErrorCode.InvalidRequest);
    expect(RPC.MethodNotFound).toBe(ErrorCode.MethodNotFound);
    expect(RPC.InvalidParams).toBe(ErrorCode.InvalidParams);
    expect(RPC.InternalError).toBe(ErrorCode.InternalError);
  });
});
