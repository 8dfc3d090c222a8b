// `orc graph FILE`: a pipeline's steps as a Mermaid flowchart, coloured by a run's step states with --run.
import type { Command } from 'commander';
import { usageError } from '../exit-code';
import { pipelineFlowchart } from '../mermaid-graph';
import { compileOrReport } from '../pipeline-file';
import { controlClient } from '../server-address';

export function register(program: Command): void {
  program
    .command('graph')
    .description("print a pipeline's steps as a Mermaid flowchart; with --run, coloured by that run's step states")
    .argument('<file>', 'pipeline YAML file')
    .option('--run <runId>', 'colour the steps by the state of this run')
    .action(async (file: string, flags: { run?: string }) => {
      const pipeline = compileOrReport(file);
      if (!flags.run) {
        process.stdout.write(pipelineFlowchart(pipeline));
        return;
      }
      const orchestrator = controlClient();
      try {
        const state = await orchestrator.runState(flags.run);
        if (state.pipeline !== pipeline.name) throw usageError(`run ${flags.run} is of pipeline '${state.pipeline}', not '${pipeline.name}' (${file})`);
        process.stdout.write(pipelineFlowchart(pipeline, state.steps));
      } finally {
        await orchestrator.close();
      }
    });
}
