// The one way to put something around a model's calls (cost, circuit breaker, token limit, metrics), so that no
// layer can drop a part of what a model is on the way.
import type { ModelResolver } from '../registry';
import type { GenerateRequest, GenerateResponse, LanguageModel } from '../types';

export type GenerateCall = (request: GenerateRequest) => Promise<GenerateResponse>;

/** A layer around a model's calls: it makes the call with `next` (or refuses it), may change the answer, may say the model is unavailable. */
export interface ModelMiddleware {
  generate?(request: GenerateRequest, next: GenerateCall, model: LanguageModel): Promise<GenerateResponse>;
  /** Why calls fail fast right now, or undefined. */
  unavailable?(model: LanguageModel): string | undefined;
}

/** `model` with `middleware` around its calls; the first layer in the list is the outermost. */
export function wrapModel(model: LanguageModel, middleware: readonly ModelMiddleware[]): LanguageModel {
  let generate: GenerateCall = (request) => model.generate(request);
  for (const layer of [...middleware].reverse()) {
    const next = generate;
    const around = layer.generate?.bind(layer);
    if (around) generate = (request) => around(request, next, model);
  }
  // Required: a field added to LanguageModel must be carried here, or this does not compile.
  const wrapped: Required<LanguageModel> = {
    id: model.id,
    provider: model.provider,
    generate,
    unavailable: () => {
      for (const layer of middleware) {
        const reason = layer.unavailable?.(model);
        if (reason !== undefined) return reason;
      }
      return model.unavailable?.();
    },
  };
  return wrapped;
}

/** The same models, each wrapped once, in the layers `middlewareFor` makes for it (a layer may keep state per model). */
export function wrapResolver(models: ModelResolver, middlewareFor: (model: LanguageModel) => ModelMiddleware[]): ModelResolver {
  const wrapped = new Map<LanguageModel, LanguageModel>();
  const byId = new Map<string, LanguageModel>();
  return {
    unavailable: (modelId) => byId.get(modelId)?.unavailable?.() ?? models.unavailable?.(modelId),
    resolve(spec: string): LanguageModel {
      const model = models.resolve(spec);
      let outer = wrapped.get(model);
      if (!outer) {
        outer = wrapModel(model, middlewareFor(model));
        wrapped.set(model, outer);
        byId.set(model.id, outer);
      }
      return outer;
    },
  };
}
