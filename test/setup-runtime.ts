// Quiets the Temporal SDK's INFO logs (worker state changes) in test output; warnings still show.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Installed already in this process.
}
