/** One `./darkroom` command: its parsing (node:util parseArgs options) and its help, declared once. */
import type { ParseArgsConfig } from "node:util";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Usage after `./darkroom <name>`. */
  usage?: string;
  options?: Options;
  /** One line per option, and per positional word where there are any. */
  help?: Record<string, string>;
  /** A closing line of the command's help (exit codes). */
  footer?: string;
  /** Takes positional words (an action, a prompt, an id). */
  positionals?: boolean;
  /** Everything after the command goes to another program (bun test, the benchmarks). */
  passthrough?: string;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], rest: string[]): Promise<unknown> | unknown;
}
