// `orc migrate FILE [-o OUT]`: a Python orchestrator pipeline rewritten in the native language (spec section 18),
// keeping its comments and saying at each change what it was. The result is compiled before it is written.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { compilePipeline, formatDiagnostic } from '../../compiler';
import { migratePyorc } from '../../compiler/pyorc/migrate';
import { EXIT_FAILED, ExitCode } from '../exit-code';

export function register(program: Command): void {
  program
    .command('migrate')
    .description("rewrite a pipeline written for the Python orchestrator in orc's own language, keeping its comments")
    .argument('<file>', 'the dialect pipeline file')
    .option('-o, --output <out>', 'write the native file here (default: standard output)')
    .action((file: string, flags: { output?: string }) => {
      const result = migratePyorc(fs.readFileSync(file, 'utf8'), file);
      if (!result.ok) {
        for (const diagnostic of result.diagnostics) process.stdout.write(`${formatDiagnostic(file, diagnostic)}\n`);
        process.stderr.write(`orc: ${file} has problems to fix first (listed above); nothing was written\n`);
        throw new ExitCode(EXIT_FAILED);
      }
      // The migrated text is native: it must compile as native, or migrate has a bug to report.
      const check = compilePipeline(result.text, { file: flags.output ?? file, dialect: 'native' });
      if (!check.ok) {
        for (const diagnostic of check.diagnostics) process.stderr.write(`${formatDiagnostic(flags.output ?? '<migrated>', diagnostic)}\n`);
        process.stderr.write(`orc: the migrated form of ${file} does not compile (an orc migrate bug; the problems are listed above); nothing was written\n`);
        throw new ExitCode(EXIT_FAILED);
      }
      if (flags.output) {
        fs.writeFileSync(flags.output, result.text);
        process.stderr.write(`${file} -> ${flags.output} (each change is commented "orc migrate:")\n`);
      } else process.stdout.write(result.text);
    });
}
