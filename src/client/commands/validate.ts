// `orc validate FILE...`: every problem of each file, as FILE:LINE:COLUMN: CODE message.
import type { Command } from 'commander';
import { compilePipelineFile, formatDiagnostic } from '../../compiler';
import { EXIT_FAILED, ExitCode } from '../exit-code';
import { knownModels, reportNotes } from '../pipeline-file';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check pipeline files; print each problem as FILE:LINE:COLUMN: CODE message')
    .argument('<files...>', 'pipeline YAML files')
    .action((files: string[]) => {
      let failed = false;
      const models = knownModels();
      for (const file of files) {
        const result = compilePipelineFile(file, { models });
        if (result.ok) {
          process.stdout.write(`${file}: ok\n`);
          reportNotes(file, result.notes);
        } else {
          failed = true;
          for (const diagnostic of result.diagnostics) process.stdout.write(`${formatDiagnostic(file, diagnostic)}\n`);
        }
      }
      if (failed) throw new ExitCode(EXIT_FAILED);
    });
}
