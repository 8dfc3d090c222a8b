// The step kinds on the compile side: ONE table keyed by ActionKind (the runners' table in src/workflows/runners
// is keyed the same). A kind missing here fails the type check. Adding a kind: its checker file and a line here,
// its runner file and a line in the runners' table.
import type { ActionKind } from '../../base/compiled-pipeline';
import { agentKind } from './agent';
import { agentsKind } from './agents';
import { approvalKind } from './approval';
import { generateKind } from './generate';
import { loopKind } from './loop';
import { mcpKind } from './mcp';
import { namedKind } from './named';
import { pipelineKind } from './pipeline';
import { promptKind } from './prompt';
import { runCodeKind } from './run-code';
import { toolKind } from './tool';
import type { KindChecker } from './types';

export const STEP_KINDS = {
  prompt: promptKind,
  named: namedKind,
  generate: generateKind,
  run_code: runCodeKind,
  mcp: mcpKind,
  approval: approvalKind,
  pipeline: pipelineKind,
  agent: agentKind,
  agents: agentsKind,
  tool: toolKind,
  loop: loopKind,
} as const satisfies Record<ActionKind, KindChecker>;

export type { KindChecker, KindFields, StepSite, BlockResult } from './types';
