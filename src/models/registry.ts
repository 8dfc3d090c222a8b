// Turns a pipeline's model spec ("echo", "local", "openai:gpt-4o-mini", ...) into a LanguageModel.
import { HOSTED_PROVIDERS, isHostedProvider, providerOfSpec, type HostedProvider } from '../base/providers';
import { readSettings } from '../base/settings';
import { createAnthropicModel } from './providers/anthropic';
import { createEchoModel } from './providers/echo';
import { createGoogleModel } from './providers/google';
import type { ModelCatalog } from './catalog';
import { circuitBreaker, circuitBreakerSettingsFrom } from './middleware/circuit-breaker';
import { costFromCatalog } from './middleware/cost';
import { wrapModel, type ModelMiddleware } from './middleware/wrap-model';
import type { LocalModelServer } from './local/local-server-process';
import { createOpenAICompatibleModel } from './providers/openai-compatible';
import { ModelError, type LanguageModel } from './types';

export interface ModelResolver {
  resolve(spec: string): LanguageModel;
  /** Why a model this worker has already called fails fast now (its circuit is open); undefined otherwise. */
  unavailable?(modelId: string): string | undefined;
}

export interface ModelResolverOptions {
  localServer: LocalModelServer;
  /** Where API keys and base URLs come from; the worker's own environment unless a test says otherwise. */
  environment?: NodeJS.ProcessEnv;
  /** Registry names and aliases (`gpt-4o-mini`, `claude-sonnet-4`) resolve to their provider:model; prices give cost. */
  catalog?: ModelCatalog;
}

/** The model name the embedded SmolLM2 answers to when a pipeline just says `local`. */
export const defaultLocalModelName = 'smollm2-135m';

const supportedSpecs = 'echo, local, local:<name>, openai:<model>, anthropic:<model>, google:<model>';

/** Each hosted provider's adapter, keyed like the provider table (src/base/providers.ts) so none can be left out. */
const HOSTED_ADAPTERS: Record<HostedProvider, (model: string, apiKey: string, baseURL: string) => LanguageModel> = {
  openai: (model, apiKey, baseURL) => createOpenAICompatibleModel({ provider: 'openai', model, apiKey, baseURL }),
  anthropic: (model, apiKey, baseURL) => createAnthropicModel({ model, apiKey, baseURL }),
  google: (model, apiKey, baseURL) => createGoogleModel({ model, apiKey, baseURL }),
};

/** The names `local:NAME` may take: the catalog's local models, or only the embedded one without a catalog. */
export function localModelNames(catalog: ModelCatalog | undefined): string[] {
  if (!catalog) return [defaultLocalModelName];
  return catalog.entries.filter((entry) => entry.provider === 'local').map((entry) => entry.model);
}

export function createModelResolver(options: ModelResolverOptions): ModelResolver {
  const environment = options.environment ?? process.env;
  const settings = readSettings(environment);
  // Adapters hold HTTP clients with connection pools; one per spec is enough.
  const resolved = new Map<string, LanguageModel>();

  function unsupported(spec: string, reason: string): ModelError {
    const [provider = spec, ...rest] = spec.split(':');
    return new ModelError(`Unknown model "${spec}": ${reason}. Supported: ${supportedSpecs}.`, {
      provider,
      model: rest.join(':'),
      isRetryable: false,
    });
  }

  function create(spec: string): LanguageModel {
    if (spec === 'echo') return createEchoModel();

    const provider = providerOfSpec(spec);
    const name = provider === spec ? undefined : spec.slice(provider.length + 1);

    if (provider === 'local') {
      if (name === '') throw unsupported(spec, 'the model name after "local:" is empty');
      const known = localModelNames(options.catalog);
      // The local server answers whatever name it is asked, so an unknown name would run the default model under it.
      if (name !== undefined && !known.includes(name)) {
        throw unsupported(spec, `no local model is named "${name}" (local models: ${known.join(', ') || 'none'}); add it to models.yaml with provider: local`);
      }
      return createOpenAICompatibleModel({
        provider: 'local',
        model: name ?? defaultLocalModelName,
        baseURL: () => options.localServer.baseUrl(),
        // The embedded server has no tool calling of its own, but constrains answers to a JSON Schema.
        toolCalling: 'json',
      });
    }
    if (isHostedProvider(provider)) {
      const hosted = HOSTED_PROVIDERS[provider];
      if (!name) throw unsupported(spec, `write the model after "${provider}:", e.g. ${provider}:${hosted.example}`);
      const apiKey = settings.apiKey(provider);
      if (!apiKey) {
        throw new ModelError(`Model ${spec} needs an API key: set ${hosted.keyVariable} in the worker's environment.`, {
          provider,
          model: name,
          isRetryable: false,
        });
      }
      // Key and base URL passed explicitly so no SDK reads process.env behind the given environment's back.
      return HOSTED_ADAPTERS[provider](name, apiKey, settings.baseUrl(provider));
    }
    throw unsupported(spec, 'no such provider');
  }

  return {
    unavailable(modelId: string): string | undefined {
      return resolved.get(modelId)?.unavailable?.();
    },
    resolve(spec: string): LanguageModel {
      // Keyed by provider:model, so a name, an alias and the full spec share one client and one breaker.
      const key = options.catalog?.lookup(spec.trim())?.id ?? spec.trim();
      let model = resolved.get(key);
      if (!model) {
        const created = create(key);
        const middleware: ModelMiddleware[] = [];
        if (options.catalog) middleware.push(costFromCatalog(options.catalog));
        // Echo and the embedded model never go down the way a provider does; only hosted ones get a breaker.
        if (isHostedProvider(created.provider)) middleware.push(circuitBreaker(circuitBreakerSettingsFrom(environment)));
        model = wrapModel(created, middleware);
        resolved.set(key, model);
      }
      return model;
    },
  };
}
