// The Host check (DNS rebinding): which Host header values the credentialed routes answer.
import { describe, expect, it } from 'vitest';
import { createHostPolicy, normalizeHost } from './host-policy.js';

describe('createHostPolicy', () => {
  it('a configured public URL: its host in any case, with or without port or trailing dot; nothing else', () => {
    const p = createHostPolicy({ publicUrl: 'https://MCP.example.com', publicUrlConfigured: true, allowedHosts: [] });
    for (const h of ['mcp.example.com', 'mcp.example.com:443', 'MCP.Example.COM', 'mcp.example.com.']) expect(p.allows(h), h).toBe(true);
    for (const h of ['evil.example', 'mcp.example.com.evil.example', 'example.com', '127.0.0.1', 'localhost']) expect(p.allows(h), h).toBe(false);
    expect(p.namesUnknown).toBe(false);
  });

  it('runtime.allowed_hosts add names (an internal balancer name, a bare IPv6 literal)', () => {
    const p = createHostPolicy({ publicUrl: 'https://mcp.example.com', publicUrlConfigured: true, allowedHosts: ['tengine.internal', '10.0.0.7', 'fd00::7'] });
    for (const h of ['tengine.internal:8080', '10.0.0.7', '[fd00::7]:8080']) expect(p.allows(h), h).toBe(true);
    expect(p.allows('10.0.0.8')).toBe(false);
  });

  it('a loopback public URL stands for every loopback spelling (development: localhost and 127.0.0.1 alike)', () => {
    const p = createHostPolicy({ publicUrl: 'http://127.0.0.1:8080', publicUrlConfigured: false, allowedHosts: [], listenHost: '127.0.0.1' });
    for (const h of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'localhost']) expect(p.allows(h), h).toBe(true);
    expect(p.allows('evil.example:8080')).toBe(false);
  });

  it('no Host header at all (HTTP/1.0, in-process) is served: there is no name a rebinding page could have used', () => {
    const p = createHostPolicy({ publicUrl: 'https://mcp.example.com', publicUrlConfigured: true, allowedHosts: [] });
    expect(p.allows(undefined)).toBe(true);
  });

  it('listening on every interface without a public URL: IP-address and loopback Hosts only, every DNS name refused', () => {
    for (const listenHost of ['0.0.0.0', '::']) {
      const p = createHostPolicy({ publicUrl: `http://${listenHost === '::' ? '[::]' : listenHost}:8080`, publicUrlConfigured: false, allowedHosts: [], listenHost });
      expect(p.namesUnknown).toBe(true);
      // What balancers, probes and a developer's browser use: an address, or a loopback name.
      for (const h of ['10.0.0.7:8080', '192.168.1.20', '[fd00::7]:8080', '[::1]:8080', '127.0.0.1', 'localhost:8080']) expect(p.allows(h), h).toBe(true);
      // A rebound page always sends a name (its own): refused, whatever it resolves to.
      for (const h of ['evil.example', 'evil.example:8080', '10.0.0.7.nip.io', 'tengine.internal']) expect(p.allows(h), h).toBe(false);
    }
    const withNames = createHostPolicy({ publicUrl: 'http://0.0.0.0:8080', publicUrlConfigured: false, allowedHosts: ['tengine.internal'], listenHost: '0.0.0.0' });
    expect(withNames.allows('tengine.internal:8080')).toBe(true);
    expect(withNames.allows('evil.example')).toBe(false);
    const configured = createHostPolicy({ publicUrl: 'https://mcp.example.com', publicUrlConfigured: true, allowedHosts: [], listenHost: '0.0.0.0' });
    expect(configured.namesUnknown).toBe(false);
    expect(configured.allows('10.0.0.7')).toBe(false);
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Example.COM:8443', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[FD00::1]', '[fd00::1]'],
    ['fd00::1', '[fd00::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });
});
