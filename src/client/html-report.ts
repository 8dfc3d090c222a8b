// One self-contained HTML file for a run or an `orc test` run (inline CSS, SVG and a little JS; nothing fetched at
// view time): the DAG with statuses, a Gantt timeline, tokens and cost per step, checks, evidence bundles and agent
// transcripts.
import type { CompiledPipeline } from '../base/compiled-pipeline';
import type { RunResult } from '../base/run-types';
import type { TestRunResult } from '../base/test-run-types';
import type { BaselineComparison } from './test-summary';

export interface ReportedRun {
  /** What the run is called in the report: its id, or a test case's name. */
  label: string;
  result: RunResult;
  /** The pipeline as it ran (for the DAG's edges); null draws the steps without edges. */
  pipeline: CompiledPipeline | null;
}

export interface HtmlReportInput {
  title: string;
  runs: ReportedRun[];
  test?: TestRunResult;
  comparison?: BaselineComparison;
}

const STATUS_COLORS: Record<string, string> = {
  completed: '#2e9e5b',
  failed: '#d64545',
  skipped: '#9aa0a6',
  cancelled: '#b07d2b',
  running: '#3b7dd8',
  waiting: '#8e5bd8',
  pending: '#c8ccd0',
};

function escapeHtml(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2) ?? '';
  return text.replace(/[<>&"']/g, (character) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[character]!);
}

function anchor(runIndex: number, stepId: string): string {
  return `r${runIndex}-${stepId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function colorOf(status: string): string {
  return STATUS_COLORS[status] ?? '#c8ccd0';
}

/** Columns of the DAG: the pipeline's levels, then any step the result holds that no level names (loop children). */
function dagColumns(run: ReportedRun): string[][] {
  const columns = run.pipeline ? run.pipeline.levels.map((level) => level.filter((id) => id in run.result.steps || run.pipeline!.steps.some((step) => step.id === id))) : [];
  const placed = new Set(columns.flat());
  const rest = Object.keys(run.result.steps).filter((id) => !placed.has(id));
  if (rest.length > 0) columns.push(rest);
  return columns.filter((column) => column.length > 0);
}

function dagSvg(run: ReportedRun, runIndex: number): string {
  const columns = dagColumns(run);
  const width = 170;
  const height = 44;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, x) => column.forEach((id, y) => position.set(id, { x: 10 + x * (width + 40), y: 10 + y * (height + 16) })));
  const edges = (run.pipeline?.steps ?? []).flatMap((step) =>
    step.dependsOn.flatMap((dependency) => {
      const from = position.get(dependency);
      const to = position.get(step.id);
      if (!from || !to) return [];
      return [`<line x1="${from.x + width}" y1="${from.y + height / 2}" x2="${to.x}" y2="${to.y + height / 2}" stroke="#888" marker-end="url(#arrow)"/>`];
    }),
  );
  const nodes = [...position.entries()].map(([id, at]) => {
    const status = run.result.steps[id]?.status ?? 'pending';
    return `<a href="#${anchor(runIndex, id)}"><g class="node" data-step="${escapeHtml(id)}"><rect x="${at.x}" y="${at.y}" width="${width}" height="${height}" rx="6" fill="${colorOf(status)}"/><text x="${at.x + 8}" y="${at.y + 18}" fill="#fff" font-weight="bold">${escapeHtml(id.length > 22 ? `${id.slice(0, 21)}…` : id)}</text><text x="${at.x + 8}" y="${at.y + 34}" fill="#fff">${escapeHtml(status)}</text><title>${escapeHtml(id)}</title></g></a>`;
  });
  const totalWidth = 20 + columns.length * (width + 40);
  const totalHeight = 20 + Math.max(1, ...columns.map((column) => column.length)) * (height + 16);
  return `<svg class="dag" width="${totalWidth}" height="${totalHeight}" viewBox="0 0 ${totalWidth} ${totalHeight}" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>${edges.join('')}${nodes.join('')}</svg>`;
}

function ganttSvg(run: ReportedRun): string {
  const timed = Object.entries(run.result.steps).filter(([, step]) => step.started_at && step.completed_at);
  if (timed.length === 0) return '<p class="muted">No step has a start and end time.</p>';
  const start = Math.min(...timed.map(([, step]) => Date.parse(step.started_at!)));
  const end = Math.max(...timed.map(([, step]) => Date.parse(step.completed_at!)));
  const span = Math.max(1, end - start);
  const labelWidth = 180;
  const barWidth = 600;
  const rows = timed
    .sort(([, a], [, b]) => Date.parse(a.started_at!) - Date.parse(b.started_at!))
    .map(([id, step], index) => {
      const from = Date.parse(step.started_at!) - start;
      const duration = Date.parse(step.completed_at!) - Date.parse(step.started_at!);
      const x = labelWidth + (from / span) * barWidth;
      const w = Math.max(2, (duration / span) * barWidth);
      const y = 8 + index * 22;
      return `<text x="4" y="${y + 13}">${escapeHtml(id.length > 24 ? `${id.slice(0, 23)}…` : id)}</text><rect x="${x}" y="${y}" width="${w}" height="16" fill="${colorOf(step.status)}"><title>${escapeHtml(`${id}: ${duration} ms`)}</title></rect><text x="${Math.min(x + w + 4, labelWidth + barWidth + 4)}" y="${y + 13}" class="muted">${duration} ms</text>`;
    });
  const height = 16 + timed.length * 22;
  return `<svg class="gantt" width="${labelWidth + barWidth + 80}" height="${height}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}</svg><p class="muted">${span} ms from the first step's start to the last step's end.</p>`;
}

function stepsTable(run: ReportedRun, runIndex: number): string {
  const rows = Object.entries(run.result.steps).map(([id, step]) => {
    const tokens = step.usage.input_tokens + step.usage.output_tokens;
    const cache = step.cache ? (step.cache.hit ? 'hit' : 'miss') : '';
    return `<tr id="${anchor(runIndex, id)}"><td class="step-id">${escapeHtml(id)}</td><td><span class="badge" style="background:${colorOf(step.status)}">${escapeHtml(step.status)}</span></td><td>${escapeHtml(step.model ?? '')}</td><td>${step.attempts}</td><td>${step.usage.input_tokens}</td><td>${step.usage.output_tokens}</td><td>${tokens}</td><td>$${step.usage.cost_usd.toFixed(6)}</td><td>${cache}</td><td class="error">${escapeHtml(step.error ?? '')}</td></tr>`;
  });
  const usage = run.result.usage;
  return `<table><thead><tr><th>step</th><th>status</th><th>model</th><th>attempts</th><th>tokens in</th><th>tokens out</th><th>tokens</th><th>cost</th><th>cache</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody><tfoot><tr><td>run</td><td></td><td></td><td></td><td>${usage.input_tokens}</td><td>${usage.output_tokens}</td><td>${usage.input_tokens + usage.output_tokens}</td><td>$${usage.cost_usd.toFixed(6)}</td><td></td><td></td></tr></tfoot></table>`;
}

function checksTable(run: ReportedRun): string {
  const rows = Object.entries(run.result.steps).flatMap(([id, step]) =>
    (step.checks ?? []).map((check) => `<tr class="${check.passed ? 'pass' : 'fail'}"><td>${escapeHtml(id)}</td><td>${escapeHtml(check.check)}</td><td>${check.passed ? 'pass' : 'FAIL'}</td><td>${check.score ?? ''}</td><td>${escapeHtml(check.detail)}</td></tr>`),
  );
  if (rows.length === 0) return '';
  return `<h4>Checks</h4><table><thead><tr><th>step</th><th>check</th><th>result</th><th>score</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface EvidenceView {
  replicates?: Array<{ value?: unknown; model?: string; status?: string; usage?: { input_tokens: number; output_tokens: number } }>;
  consensus?: unknown;
  agreement?: number;
  method?: string;
  disagreements?: Array<{ path: string; counts: Record<string, number> }>;
}

function evidenceSection(run: ReportedRun): string {
  const bundles = Object.entries(run.result.steps).filter(([, step]) => step.evidence !== undefined && step.evidence !== null);
  return bundles
    .map(([id, step]) => {
      const evidence = step.evidence as EvidenceView;
      const replicates = (evidence.replicates ?? []).map(
        (replicate, index) => `<tr><td>${index + 1}</td><td>${escapeHtml(replicate.model ?? '')}</td><td>${escapeHtml(replicate.status ?? '')}</td><td><pre>${escapeHtml(replicate.value)}</pre></td><td>${replicate.usage ? replicate.usage.input_tokens + replicate.usage.output_tokens : ''}</td></tr>`,
      );
      const disagreements = (evidence.disagreements ?? []).map((entry) => `<li><code>${escapeHtml(entry.path || '(value)')}</code>: ${escapeHtml(Object.entries(entry.counts).map(([value, count]) => `${value} × ${count}`).join(', '))}</li>`);
      return `<div class="evidence"><h4>Evidence bundle: ${escapeHtml(id)}</h4><p>method ${escapeHtml(evidence.method ?? '')}, agreement ${evidence.agreement ?? ''}, consensus <code>${escapeHtml(evidence.consensus)}</code></p><table><thead><tr><th>replicate</th><th>model</th><th>status</th><th>value</th><th>tokens</th></tr></thead><tbody>${replicates.join('')}</tbody></table>${disagreements.length > 0 ? `<p>Disagreements:</p><ul>${disagreements.join('')}</ul>` : '<p>No disagreements.</p>'}</div>`;
    })
    .join('');
}

interface TranscriptEntry {
  agent?: string;
  role?: string;
  content?: unknown;
  tool_call?: unknown;
  tool_result?: unknown;
}

function transcriptsSection(run: ReportedRun): string {
  return Object.entries(run.result.steps)
    .filter(([, step]) => Array.isArray((step.result as { transcript?: unknown } | null)?.transcript))
    .map(([id, step]) => {
      const transcript = (step.result as { transcript: TranscriptEntry[] }).transcript;
      const entries = transcript.map((entry) => {
        const parts = [
          entry.content !== undefined && entry.content !== null && entry.content !== '' ? `<pre>${escapeHtml(entry.content)}</pre>` : '',
          entry.tool_call ? `<div class="tool-call">tool call <pre>${escapeHtml(entry.tool_call)}</pre></div>` : '',
          entry.tool_result !== undefined && entry.tool_result !== null ? `<div class="tool-result">tool result <pre>${escapeHtml(entry.tool_result)}</pre></div>` : '',
        ];
        return `<li><b>${escapeHtml(entry.agent ?? '')}</b> <i>${escapeHtml(entry.role ?? '')}</i>${parts.join('')}</li>`;
      });
      return `<div class="transcript"><h4>Agent transcript: ${escapeHtml(id)}</h4><ol>${entries.join('')}</ol></div>`;
    })
    .join('');
}

function runSection(run: ReportedRun, runIndex: number, open: boolean): string {
  const { result } = run;
  const forecast = result.forecast ? ` · forecast ${result.forecast.tokens.low}–${result.forecast.tokens.high} tokens (expected ${result.forecast.tokens.expected})` : '';
  return `<details class="run" ${open ? 'open' : ''} data-status="${escapeHtml(result.status)}"><summary><span class="badge" style="background:${colorOf(result.status === 'partially_completed' ? 'cancelled' : result.status)}">${escapeHtml(result.status)}</span> <b>${escapeHtml(run.label)}</b> <span class="muted">${escapeHtml(result.run_id)} · ${result.usage.input_tokens + result.usage.output_tokens} tokens · $${result.usage.cost_usd.toFixed(6)}${escapeHtml(forecast)}</span></summary>
${result.error ? `<p class="error">${escapeHtml(result.error)}</p>` : ''}
<h4>DAG</h4><div class="scroll">${dagSvg(run, runIndex)}</div>
<h4>Timeline</h4><div class="scroll">${ganttSvg(run)}</div>
<h4>Steps</h4>${stepsTable(run, runIndex)}
${checksTable(run)}${evidenceSection(run)}${transcriptsSection(run)}
<h4>Outputs</h4><pre>${escapeHtml(result.outputs)}</pre></details>`;
}

function testSection(test: TestRunResult, comparison: BaselineComparison | undefined): string {
  const rows = test.cases.map(
    (testCase, index) =>
      `<tr class="${testCase.passed ? 'pass' : 'fail'}"><td><a href="#run-${index}">${escapeHtml(testCase.name)}</a></td><td>${testCase.passed ? 'pass' : 'FAIL'}</td><td>${testCase.checks.filter((check) => check.passed).length}/${testCase.checks.length}</td><td>${escapeHtml(testCase.checks.filter((check) => !check.passed).map((check) => `${check.where}: ${check.check} (${check.detail})`).join('; '))}</td><td>${testCase.usage.input_tokens + testCase.usage.output_tokens}</td><td>$${testCase.usage.cost_usd.toFixed(6)}</td><td>${testCase.latency_ms} ms</td></tr>`,
  );
  const baseline = comparison
    ? `<h3>Compared with ${escapeHtml(comparison.baseline)}</h3><p>Newly failing: ${escapeHtml(comparison.newly_failing.join(', ') || 'none')}. Newly passing: ${escapeHtml(comparison.newly_passing.join(', ') || 'none')}. Pass rate ${(comparison.pass_rate.before * 100).toFixed(1)}% → ${(comparison.pass_rate.after * 100).toFixed(1)}%; cost $${comparison.cost_usd.before.toFixed(4)} → $${comparison.cost_usd.after.toFixed(4)}; mean latency ${comparison.latency_ms.before} → ${comparison.latency_ms.after} ms.</p>`
    : '';
  return `<section><h2>${test.passed}/${test.cases.length} cases passed (${(test.pass_rate * 100).toFixed(1)}%)</h2><p>Checks: ${test.checks.passed} passed, ${test.checks.failed} failed. Tokens ${test.usage.input_tokens} in, ${test.usage.output_tokens} out; cost $${test.usage.cost_usd.toFixed(4)}; latency mean ${test.latency_ms.mean} ms, max ${test.latency_ms.max} ms.</p>${baseline}<p><label><input type="checkbox" id="only-failed"> show failed cases only</label></p><table id="cases"><thead><tr><th>case</th><th>result</th><th>checks</th><th>failed checks</th><th>tokens</th><th>cost</th><th>latency</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f4f6}
.badge{color:#fff;border-radius:4px;padding:1px 6px}.muted{color:#777}.error{color:#b00020}tr.fail td{background:#fdecec}tr.pass td:nth-child(2){color:#2e9e5b}
pre{margin:0;white-space:pre-wrap;max-width:800px}.scroll{overflow-x:auto}details.run{border:1px solid #ddd;border-radius:6px;padding:8px;margin:8px 0}svg text{font:12px system-ui,sans-serif}
.tool-call{color:#3b5bdb}.tool-result{color:#2b8a3e}.evidence,.transcript{margin:8px 0}`;

const SCRIPT = `(function(){var box=document.getElementById('only-failed');if(!box)return;box.addEventListener('change',function(){
var rows=document.querySelectorAll('#cases tbody tr');for(var i=0;i<rows.length;i++){rows[i].style.display=box.checked&&rows[i].className==='pass'?'none':'';}
var runs=document.querySelectorAll('details.run');for(var j=0;j<runs.length;j++){var ok=runs[j].getAttribute('data-passed');runs[j].style.display=box.checked&&ok==='true'?'none':'';}});})();`;

/** The whole report as one HTML document. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const runs = input.runs.map((run, index) => {
    const section = runSection(run, index, input.runs.length === 1);
    const passed = input.test?.cases[index]?.passed;
    return `<div id="run-${index}">${passed === undefined ? section : section.replace('<details class="run"', `<details class="run" data-passed="${passed}"`)}</div>`;
  });
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(input.title)}</h1>${input.test ? testSection(input.test, input.comparison) : ''}${runs.join('\n')}<script>${SCRIPT}</script></body></html>\n`;
}

