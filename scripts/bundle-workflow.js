// Prebuilds the workflow bundle so `orc run` starts a worker without bundling on every start.
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

async function main() {
  const root = path.join(__dirname, '..');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'dist', 'workflows', 'index.js'), logger: undefined });
  fs.writeFileSync(path.join(root, 'dist', 'workflow-bundle.js'), code);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
