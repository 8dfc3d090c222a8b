// The one settings module: every variable's default, an override, and a bad number named.
import { readSettings } from '../../src/base/settings';

describe('readSettings', () => {
  it('gives the defaults for an empty environment', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({ temporalAddress: undefined, taskQueue: 'orc-pipelines', devServerPort: 7233, autoCacheTtlSeconds: 86400, sandboxConcurrency: 2 });
    expect(settings.apiKey('openai')).toBeUndefined();
    expect(settings.baseUrl('anthropic')).toBe('https://api.anthropic.com');
  });

  it('reads each variable, empty counting as unset', () => {
    const settings = readSettings({ TEMPORAL_ADDRESS: 'temporal:7233', ORC_TASK_QUEUE: '', ORC_AUTO_CACHE_TTL: '0', GOOGLE_API_KEY: 'k', GOOGLE_BASE_URL: 'http://fake' });
    expect(settings.temporalAddress).toBe('temporal:7233');
    expect(settings.taskQueue).toBe('orc-pipelines');
    expect(settings.autoCacheTtlSeconds).toBe(0);
    expect(settings.apiKey('google')).toBe('k');
    expect(settings.baseUrl('google')).toBe('http://fake');
  });

  it('names a variable that should hold a number and does not', () => {
    expect(() => readSettings({ ORC_DEV_SERVER_PORT: 'seven' })).toThrow('ORC_DEV_SERVER_PORT=seven: expected a non-negative number');
  });
});
