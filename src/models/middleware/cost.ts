// Fills in cost_usd from the catalog's prices: adapters only count tokens.
import type { ModelCatalog } from '../catalog';
import type { ModelMiddleware } from './wrap-model';

export function costFromCatalog(catalog: ModelCatalog): ModelMiddleware {
  return {
    async generate(request, next, model) {
      const response = await next(request);
      const cost = catalog.priceOf(model.id, response.usage);
      return cost === undefined ? response : { ...response, usage: { ...response.usage, cost_usd: cost } };
    },
  };
}
