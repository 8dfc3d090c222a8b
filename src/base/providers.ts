// The model providers orc knows, and for each one reached over the network where its key and endpoint come from.

/** Every provider a model spec may name (`provider:model`); `echo` and `local` need no credentials. */
export const MODEL_PROVIDERS = ['local', 'echo', 'openai', 'anthropic', 'google'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export interface HostedProviderInfo {
  /** The environment variable holding the API key (each SDK's usual name). */
  keyVariable: string;
  /** The environment variable that points the provider at another endpoint (a proxy, a test fake). */
  baseUrlVariable: string;
  defaultBaseUrl: string;
  /** A model to show in messages: `openai:gpt-4o-mini`. */
  example: string;
}

/** Providers reached over the network. Their adapters (src/models) are looked up by these same names. */
export const HOSTED_PROVIDERS = {
  openai: { keyVariable: 'OPENAI_API_KEY', baseUrlVariable: 'OPENAI_BASE_URL', defaultBaseUrl: 'https://api.openai.com/v1', example: 'gpt-4o-mini' },
  anthropic: {
    keyVariable: 'ANTHROPIC_API_KEY',
    baseUrlVariable: 'ANTHROPIC_BASE_URL',
    defaultBaseUrl: 'https://api.anthropic.com',
    example: 'claude-sonnet-4-20250514',
  },
  google: {
    keyVariable: 'GOOGLE_API_KEY',
    baseUrlVariable: 'GOOGLE_BASE_URL',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    example: 'gemini-1.5-flash',
  },
} as const satisfies Record<string, HostedProviderInfo>;
export type HostedProvider = keyof typeof HOSTED_PROVIDERS;

export function isHostedProvider(provider: string): provider is HostedProvider {
  return Object.prototype.hasOwnProperty.call(HOSTED_PROVIDERS, provider);
}

/** The provider a spec names: what comes before `:` (`echo` and `local` stand alone). */
export function providerOfSpec(spec: string): string {
  const separator = spec.indexOf(':');
  return separator === -1 ? spec : spec.slice(0, separator);
}
