// Values past Temporal's 2 MiB payload limit, through real runs on the shared dev server and the folder run store:
// runs complete, `orc run --json` prints full values, no history payload reaches 256 KiB, and the ceiling fails
// its step instead of hanging the run.
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../src/client';
import { CEILING_PIPELINE, expectLargeValuesRun, MB, startLargeValueHarness, scanHistories, type LargeValueHarness } from '../helpers/large-values';
import { STORED_PAYLOAD_THRESHOLD } from '../../src/store/stored-payloads';

let harness: LargeValueHarness;

beforeAll(async () => {
  harness = await startLargeValueHarness('large-values', path.join(os.tmpdir(), `orc-large-values-store-${process.pid}`));
});

afterAll(async () => {
  await harness?.close();
});

test('5 MB input and echo, 100 MB printed, 300 × 20 KB for_each and a 3 MB MCP answer: full values, small history', async () => {
  await expectLargeValuesRun(harness);
}, 300_000);

describe('the ceiling (ORC_MAX_VALUE_BYTES)', () => {
  let ceilingHarness: LargeValueHarness;

  beforeAll(async () => {
    ceilingHarness = await startLargeValueHarness('value-ceiling', path.join(os.tmpdir(), `orc-value-ceiling-store-${process.pid}`), { maxValueBytes: MB });
  });

  afterAll(async () => {
    await ceilingHarness?.close();
  });

  test('a step answering more fails with VALUE_TOO_LARGE naming the step, and orc run returns', async () => {
    const output = await ceilingHarness.runCli(CEILING_PIPELINE, { text: 'x'.repeat(3 * MB) });
    expect(output.code).toBe(1);
    const result = JSON.parse(output.stdout) as RunResult;
    expect(result.status).toBe('failed');
    expect(result.steps.small!.status).toBe('completed');
    expect(result.steps.huge!.status).toBe('failed');
    expect(result.steps.huge!.error).toContain("step 'huge' produced a value of");
    expect(result.steps.huge!.error).toContain('VALUE_TOO_LARGE');
    // Non-retryable: one attempt, not the step's retries.
    expect(result.steps.huge!.attempts).toBe(1);
    const scan = await scanHistories(ceilingHarness.client, result.run_id);
    expect(scan.largestPayload).toBeLessThan(STORED_PAYLOAD_THRESHOLD);
    process.stdout.write(`value ceiling: orc run returned in ${output.seconds.toFixed(1)} s\n`);
  }, 120_000);
});
