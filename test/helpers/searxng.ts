// A stand-in for a SearxNG instance: GET /search?q=…&format=json answers SearxNG's JSON (results with url,
// title, content, engine, score); any other format is refused with 403, as SearxNG does by default.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SearxStandIn {
  url: string;
  queries: string[];
  close(): Promise<void>;
}

export async function startSearxStandIn(): Promise<SearxStandIn> {
  const queries: string[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (url.pathname !== '/search') return void response.writeHead(404).end();
    if (url.searchParams.get('format') !== 'json') return void response.writeHead(403).end('format not allowed');
    const query = url.searchParams.get('q') ?? '';
    queries.push(query);
    const results = [1, 2, 3, 4].map((n) => ({
      url: `https://example.org/${encodeURIComponent(query)}/${n}`,
      title: `${query} — result ${n}`,
      content: `What page ${n} says about ${query}.`,
      engine: n % 2 === 0 ? 'duckduckgo' : 'wikipedia',
      engines: [n % 2 === 0 ? 'duckduckgo' : 'wikipedia'],
      score: 4 - n * 0.5,
      category: 'general',
    }));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ query, number_of_results: 0, results, answers: [], suggestions: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, queries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
