import { describe, expect, it } from 'vitest';
import { describeEndpoints, parseNode, redisEndpointsFromEnv, RedisSettingsError } from './redis-endpoints.js';

const refusal = (env: Record<string, string | undefined>) => {
  try {
    redisEndpointsFromEnv(env);
  } catch (e) {
    return e as RedisSettingsError;
  }
  throw new Error('expected a RedisSettingsError');
};

describe('Redis endpoints from the environment', () => {
  it('nothing set: the memory store; REDIS_URL alone: one server; TENGINE_REDIS_URL wins over REDIS_URL', () => {
    expect(redisEndpointsFromEnv({})).toBeUndefined();
    expect(redisEndpointsFromEnv({ TENGINE_REDIS_URL: ' ', REDIS_URL: '' })).toBeUndefined();
    expect(redisEndpointsFromEnv({ REDIS_URL: 'redis://b:2' })).toEqual({ mode: 'standalone', url: 'redis://b:2' });
    expect(redisEndpointsFromEnv({ TENGINE_REDIS_URL: 'redis://a:1', REDIS_URL: 'redis://b:2' })).toEqual({ mode: 'standalone', url: 'redis://a:1' });
  });

  it('TENGINE_REDIS_CLUSTER_NODES: comma-separated URLs, blanks ignored; a platform REDIS_URL does not interfere', () => {
    expect(redisEndpointsFromEnv({ TENGINE_REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000,', REDIS_URL: 'redis://x:1' })).toEqual({
      mode: 'cluster',
      nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'],
    });
  });

  it('TENGINE_REDIS_SENTINELS with TENGINE_REDIS_SENTINEL_NAME: host:port or URL entries', () => {
    expect(redisEndpointsFromEnv({ TENGINE_REDIS_SENTINELS: '10.0.0.1:26379,redis://10.0.0.2:26379', TENGINE_REDIS_SENTINEL_NAME: 'mymaster' })).toEqual({
      mode: 'sentinel',
      sentinels: ['10.0.0.1:26379', 'redis://10.0.0.2:26379'],
      name: 'mymaster',
    });
  });

  it.each([
    [{ TENGINE_REDIS_URL: 'redis://a:1', TENGINE_REDIS_CLUSTER_NODES: 'redis://b:2' }, /TENGINE_REDIS_URL and TENGINE_REDIS_CLUSTER_NODES are both set/],
    [{ TENGINE_REDIS_URL: 'redis://a:1', TENGINE_REDIS_SENTINELS: 'b:2', TENGINE_REDIS_SENTINEL_NAME: 'm' }, /TENGINE_REDIS_URL and TENGINE_REDIS_SENTINELS are both set/],
    [{ TENGINE_REDIS_CLUSTER_NODES: 'redis://b:2', TENGINE_REDIS_SENTINELS: 'b:2', TENGINE_REDIS_SENTINEL_NAME: 'm' }, /TENGINE_REDIS_CLUSTER_NODES and TENGINE_REDIS_SENTINELS are both set/],
    [{ TENGINE_REDIS_SENTINELS: 'b:2' }, /without TENGINE_REDIS_SENTINEL_NAME/],
    [{ TENGINE_REDIS_SENTINEL_NAME: 'm' }, /without TENGINE_REDIS_SENTINELS/],
    [{ TENGINE_REDIS_CLUSTER_NODES: '10.0.0.1:7000' }, /entry "10.0.0.1:7000" is not a redis:\/\/ URL/],
    [{ TENGINE_REDIS_SENTINELS: 'host-without-port', TENGINE_REDIS_SENTINEL_NAME: 'm' }, /entry "host-without-port" is not host:port or a redis:\/\/ URL/],
    [{ TENGINE_REDIS_CLUSTER_NODES: 'redis://a:1/2' }, /is not a redis:\/\/ URL with a host and port/],
    [{ TENGINE_REDIS_CLUSTER_NODES: 'redis://:pw@a:1,rediss://:pw@b:1' }, /differ in scheme, user or password/],
    [{ TENGINE_REDIS_CLUSTER_NODES: 'redis://:pw1@a:1,redis://:pw2@b:1' }, /differ in scheme, user or password/],
  ])('refuses %j as a USAGE error with a hint', (env, message) => {
    const err = refusal(env);
    expect(err).toBeInstanceOf(RedisSettingsError);
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(/\S/);
  });

  it('never echoes a password, not even from an entry that does not parse', () => {
    for (const env of [
      { TENGINE_REDIS_CLUSTER_NODES: 'redis://:hunter2@a:1,redis://:hunter3@b:1' },
      { TENGINE_REDIS_CLUSTER_NODES: 'redis://:hunter2@a:1/x' },
      { TENGINE_REDIS_SENTINELS: 'user:hunter2@a', TENGINE_REDIS_SENTINEL_NAME: 'm' },
    ]) {
      const err = refusal(env);
      expect(`${err.message} ${err.hint}`).not.toMatch(/hunter/);
    }
    expect(describeEndpoints({ mode: 'cluster', nodes: ['rediss://u:hunter2@a:7000'] })).toBe('cluster rediss://a:7000');
    expect(describeEndpoints({ mode: 'sentinel', sentinels: ['a:26379', 'redis://:hunter2@b:26379'], name: 'mymaster' })).toBe('sentinel group "mymaster" via a:26379,redis://b:26379');
  });

  it('parseNode reads host, port, TLS and percent-encoded credentials', () => {
    expect(parseNode('rediss://app:p%2Fw@cache.internal:6380')).toEqual({ host: 'cache.internal', port: 6380, tls: true, username: 'app', password: 'p/w' });
    expect(parseNode('[::1]:26379')).toEqual({ host: '::1', port: 26379, tls: false });
    expect(parseNode('redis://10.0.0.1')).toEqual({ host: '10.0.0.1', port: 6379, tls: false });
    expect(parseNode('a:0')).toBeUndefined();
    expect(parseNode('a:1', false)).toBeUndefined();
  });
});
