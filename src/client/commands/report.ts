// `orc report RUN_ID --html OUT.html`: one run (or one `orc test` run with all its cases) as a self-contained HTML file.
import * as fs from 'node:fs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Command } from 'commander';
import { expandPipeline } from '../../base/compact-pipeline';
import type { CompiledPipeline } from '../../base/compiled-pipeline';
import type { PipelineRunInput, RunResult } from '../../base/run-types';
import type { TestRunInput, TestRunResult } from '../../base/test-run-types';
import { openDefaultRunStore, type RunStore } from '../../store/run-store';
import { resolveStoredPayload } from '../../store/stored-payloads';
import { statusQuery, TEST_WORKFLOW_TYPE } from '../../workflows/definitions';
import { defaultDevServerPort } from '../../worker/dev-server';
import { readSettings } from '../../base/settings';
import { renderHtmlReport, type HtmlReportInput } from '../html-report';
import { Orchestrator } from '../orchestrator';

/** The input a run was started with (its pipeline and inputs), from the first event of its history. */
async function startInput<T>(handle: WorkflowHandle, store: RunStore): Promise<T> {
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`run ${handle.workflowId} has no recorded input`);
  return defaultPayloadConverter.fromPayload<T>(await resolveStoredPayload(payload, store));
}

/** A run's result once closed, its state so far while it runs. */
async function runState(handle: WorkflowHandle): Promise<RunResult> {
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') return handle.query(statusQuery);
  return (await handle.result()) as RunResult;
}

/** What the report of `runId` shows: the run itself, or for a test run every case's run beside the test's summary. */
export async function reportInput(client: Client, store: RunStore, runId: string): Promise<HtmlReportInput> {
  const handle = client.workflow.getHandle(runId);
  const description = await handle.describe();
  if (description.type === TEST_WORKFLOW_TYPE) {
    const input = await startInput<TestRunInput>(handle, store);
    const pipeline: CompiledPipeline = expandPipeline(input.pipeline);
    const test = (await handle.result()) as TestRunResult;
    const runs = await Promise.all(test.cases.map(async (testCase) => ({ label: testCase.name, result: await runState(client.workflow.getHandle(testCase.run_id)), pipeline })));
    return { title: `orc test ${pipeline.name} (${runId})`, runs, test };
  }
  const input = await startInput<PipelineRunInput>(handle, store);
  const pipeline = expandPipeline(input.pipeline);
  return { title: `${pipeline.name} · ${runId}`, runs: [{ label: runId, result: await runState(handle), pipeline }] };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a run or a test run: DAG, timeline, tokens and cost, checks, evidence, transcripts')
    .argument('<runId>', 'the run (or `orc test` run) id')
    .requiredOption('--html <file>', 'where to write the HTML file')
    .action(async (runId: string, flags: { html: string }) => {
      const orchestrator = new Orchestrator({ address: readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`, worker: false });
      const store = openDefaultRunStore();
      try {
        const client = await orchestrator.connect();
        fs.writeFileSync(flags.html, renderHtmlReport(await reportInput(client, store, runId)));
        process.stderr.write(`wrote ${flags.html}\n`);
      } finally {
        await store.close();
        await orchestrator.close();
      }
    });
}
