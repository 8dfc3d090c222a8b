// Whether a model a pipeline names exists: a provider orc knows, a local model the catalog (models.yaml) lists, and
// for a hosted provider no near miss of a listed model.
import { MODEL_PROVIDERS, providerOfSpec } from '../base/providers';
import { didYouMean, nearest } from './diagnostics';
import { parseAutoTag } from './auto-tags';

/** Every name a pipeline may write for a model (`provider:model` ids, entry names, aliases), from the catalog. */
export interface KnownModels {
  names: readonly string[];
}

/** What is wrong with a model spec, or undefined when it names a known model (or is decided at run time). */
export function modelNameProblem(spec: string, known: KnownModels): string | undefined {
  const trimmed = spec.trim();
  // A template or an AUTO tag is decided at run time.
  if (trimmed.includes('{{') || parseAutoTag(trimmed).kind !== 'none') return undefined;
  if (trimmed === 'local' || trimmed === 'echo' || known.names.includes(trimmed)) return undefined;
  const provider = providerOfSpec(trimmed);
  if (provider === trimmed) {
    return `unknown model '${trimmed}'${didYouMean(trimmed, known.names)}: write provider:model, a name from models.yaml, local or echo`;
  }
  if (!(MODEL_PROVIDERS as readonly string[]).includes(provider)) {
    return `unknown model provider '${provider}' in '${trimmed}'${didYouMean(provider, MODEL_PROVIDERS)} (providers: ${MODEL_PROVIDERS.join(', ')})`;
  }
  const sameProvider = known.names.filter((name) => name.startsWith(`${provider}:`));
  if (provider === 'local') {
    const names = sameProvider.map((name) => name.slice('local:'.length));
    return `no local model is named '${trimmed.slice('local:'.length)}'${didYouMean(trimmed, sameProvider)} (local models: ${names.join(', ') || 'none'}); add it to models.yaml with provider: local`;
  }
  // A hosted provider serves more models than the catalog lists, so only a near miss of a listed one is taken for a
  // typo (`gpt-4o-mnii`); any other name goes to the provider as written, at a cost the catalog cannot price.
  const closest = nearest(trimmed, sameProvider);
  if (!closest || closest.distance > 1) return undefined;
  return `model '${trimmed}' is not in the model catalog (did you mean '${closest.candidate}'?); if you do mean this model, add it to your models.yaml`;
}
