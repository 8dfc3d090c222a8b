// The resolver's `local:NAME`: only a local model the catalog lists (the local server would answer any name with
// its one model, and the run would record a model that never answered).
import { loadModelCatalog } from '../../src/models/catalog';
import { LocalModelServer } from '../../src/models/local/local-server-process';
import { createModelResolver } from '../../src/models/registry';
import { ModelError } from '../../src/models/types';

describe('createModelResolver: local models', () => {
  const localServer = new LocalModelServer();
  afterAll(() => localServer.stop());

  it('refuses a local:NAME that names no local model, naming the ones there are', () => {
    const models = createModelResolver({ localServer, catalog: loadModelCatalog({ userFile: null }) });
    let error: unknown;
    try {
      models.resolve('local:anything');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).isRetryable).toBe(false);
    expect((error as ModelError).message).toBe(
      'Unknown model "local:anything": no local model is named "anything" (local models: smollm2-135m); add it to models.yaml with provider: local. ' +
        'Supported: echo, local, local:<name>, openai:<model>, anthropic:<model>, google:<model>.',
    );
  });

  it('takes local, local:smollm2-135m and the catalog name, all as the same model', () => {
    const models = createModelResolver({ localServer, catalog: loadModelCatalog({ userFile: null }) });
    expect(models.resolve('local').id).toBe('local:smollm2-135m');
    expect(models.resolve('local:smollm2-135m').id).toBe('local:smollm2-135m');
    expect(models.resolve('smollm2-135m')).toBe(models.resolve('local:smollm2-135m'));
  });

  it('without a catalog knows only the embedded model', () => {
    const models = createModelResolver({ localServer });
    expect(models.resolve('local:smollm2-135m').id).toBe('local:smollm2-135m');
    expect(() => models.resolve('local:tiny')).toThrow(/no local model is named "tiny" \(local models: smollm2-135m\)/);
  });
});
