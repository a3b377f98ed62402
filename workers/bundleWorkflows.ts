/**
 * Bundles the workflow code and writes it to stdout. The main worker runs this as a child process,
 * so the bundler (webpack) never occupies the worker's own memory: in-process it kept about 130 MB
 * of resident memory for the life of the worker, for a bundle of under 2 MB.
 *   bun workers/bundleWorkflows.ts [--tracing]
 */
import { createRequire } from "node:module";
import { bundleWorkflowCode } from "@temporalio/worker";

const require = createRequire(import.meta.url);
const tracing = process.argv.includes("--tracing");
const quiet = () => undefined;
const { code } = await bundleWorkflowCode({
  workflowsPath: require.resolve("../workflows"),
  workflowInterceptorModules: tracing ? [require.resolve("@temporalio/interceptors-opentelemetry/lib/workflow-interceptors")] : [],
  // Warnings go to stderr, where the worker logs them; the rest of the bundler's chatter is dropped.
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: (message: string) => process.stderr.write(`${message}\n`), error: (message: string) => process.stderr.write(`${message}\n`) },
});
process.stdout.write(code, () => process.exit(0));
