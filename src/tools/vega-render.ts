// Vega-Lite specs to SVG (vega-lite compiles, a headless vega View renders) and SVG to PNG (resvg), all offline.
// vega and vega-lite are ES modules only: they are loaded by Node's own loader in a worker thread, which keeps
// them out of the CommonJS module graph (and out of a test runner's module system).
import { Worker } from 'node:worker_threads';
import { Resvg } from '@resvg/resvg-js';
import { backendFailed } from './tool-failure';

const RENDER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const vl = await import(pathToFileURL(workerData.vegaLite).href);
  const vega = await import(pathToFileURL(workerData.vega).href);
  // No spec may load anything: every data set is given inline.
  const loader = vega.loader();
  loader.load = async (uri) => { throw new Error('charts load no data from ' + uri + ': give the data inline'); };
  const svgs = [];
  for (const spec of workerData.specs) {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none', loader });
    svgs.push(await view.toSVG());
    view.finalize();
  }
  parentPort.postMessage({ svgs });
})().catch((error) => parentPort.postMessage({ error: String((error && error.message) || error) }));
`;

/** Each Vega-Lite spec as an SVG document, in order. */
export function renderSvgs(specs: ReadonlyArray<Record<string, unknown>>, signal?: AbortSignal): Promise<string[]> {
  const worker = new Worker(RENDER_SCRIPT, { eval: true, workerData: { vega: require.resolve('vega'), vegaLite: require.resolve('vega-lite'), specs } });
  return new Promise<string[]>((resolve, reject) => {
    const stop = (): void => void worker.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    worker.once('message', (message: { svgs?: string[]; error?: string }) => {
      signal?.removeEventListener('abort', stop);
      void worker.terminate();
      if (message.svgs) resolve(message.svgs);
      else reject(backendFailed(`Vega could not draw the chart: ${message.error ?? 'no answer'}`));
    });
    worker.once('error', (error) => reject(backendFailed(`Vega could not draw the chart: ${error.message}`)));
    worker.once('exit', (code) => reject(backendFailed(`the chart renderer stopped (exit ${code})`)));
  });
}

/** An SVG drawn as PNG at `scale` times its size. */
export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}
