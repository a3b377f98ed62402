/**
 * The three ways a ComfyUI job fails, each with a message a person can act on.
 * The activity maps them to non-retryable Temporal failures of the same name.
 */
import { FailureType } from "../../domain/failures";
import { isRecord, type ComfyExecutionErrorData, type ComfyValidationError } from "./protocol";

export interface ComfyNodeProblem {
  nodeId: string;
  classType?: string;
  type: string;
  /** Readable sentence, e.g. "ckpt_name 'x.safetensors' is not one of the installed checkpoints". */
  problem: string;
  message: string;
  details?: string;
}

export interface ComfyRejectionDetails {
  instance: string;
  type: string;
  message: string;
  nodes: ComfyNodeProblem[];
}

/** `POST /prompt` answered 400: the graph does not validate on this instance. */
export class ComfyPromptRejected extends Error {
  override readonly name = "ComfyPromptRejected";
  constructor(
    message: string,
    readonly details: ComfyRejectionDetails,
  ) {
    super(message);
  }
}

export interface ComfyExecutionFailureDetails {
  instance: string;
  promptId: string;
  nodeId?: string;
  nodeType?: string;
  exceptionType?: string;
  exceptionMessage?: string;
}

/** The prompt was accepted but failed while running (or was interrupted by someone else). */
export class ComfyExecutionFailed extends Error {
  override readonly name = "ComfyExecutionFailed";
  constructor(
    message: string,
    readonly details: ComfyExecutionFailureDetails,
  ) {
    super(message);
  }
}

/** Connection refused, 5xx or timeouts that outlasted a few quick retries. */
export class ComfyInstanceUnavailable extends Error {
  override readonly name = FailureType.ComfyInstanceUnavailable;
  constructor(
    message: string,
    readonly details: { instance: string; url: string; cause?: string },
  ) {
    super(message);
  }
}

const LIST_NOUNS: Record<string, string> = {
  ckpt_name: "installed checkpoints",
  vae_name: "installed VAEs",
  lora_name: "installed LoRAs",
  control_net_name: "installed ControlNets",
  upscale_model_name: "installed upscale models",
  sampler_name: "known samplers",
  scheduler: "known schedulers",
};

function describeProblem(err: ComfyValidationError): string {
  const extra = err.extra_info ?? {};
  const input = typeof extra.input_name === "string" ? extra.input_name : undefined;
  switch (err.type) {
    case "value_not_in_list":
      if (input) {
        const noun = LIST_NOUNS[input] ?? "allowed values";
        return `${input} '${String(extra.received_value ?? "?")}' is not one of the ${noun}`;
      }
      break;
    case "required_input_missing":
      return `required input '${input ?? err.details ?? "?"}' is missing`;
  }
  return err.details ? `${err.message}: ${err.details}` : err.message;
}

function readValidationError(v: unknown): ComfyValidationError | undefined {
  if (!isRecord(v)) return undefined;
  return {
    type: typeof v.type === "string" ? v.type : "unknown",
    message: typeof v.message === "string" ? v.message : "invalid",
    details: typeof v.details === "string" && v.details ? v.details : undefined,
    extra_info: isRecord(v.extra_info) ? v.extra_info : undefined,
  };
}

/** Builds the error for a 400 answer: every node problem named by node id and class. */
export function promptRejection(instance: string, body: unknown): ComfyPromptRejected {
  const rec = isRecord(body) ? body : {};
  const top = readValidationError(rec.error) ?? { type: "invalid_prompt", message: typeof rec.error === "string" ? rec.error : "invalid prompt" };
  const nodes: ComfyNodeProblem[] = [];
  if (isRecord(rec.node_errors)) {
    for (const [nodeId, nodeError] of Object.entries(rec.node_errors)) {
      if (!isRecord(nodeError)) continue;
      const classType = typeof nodeError.class_type === "string" ? nodeError.class_type : undefined;
      const errors = Array.isArray(nodeError.errors) ? nodeError.errors.map(readValidationError) : [];
      for (const err of errors) {
        if (!err) continue;
        nodes.push({ nodeId, classType, type: err.type, problem: describeProblem(err), message: err.message, details: err.details });
      }
    }
  }
  // An unknown node class carries no node_errors. Newer builds say missing_node_type and name the
  // node in extra_info; 0.3.64 says invalid_prompt and names it only in the text ("Cannot execute
  // because node X does not exist.", "Node ID '#10'").
  const unknownClass = top.type === "missing_node_type" || (top.type === "invalid_prompt" && / does not exist\.?$/.test(top.message));
  if (nodes.length === 0 && unknownClass) {
    const extra = top.extra_info ?? {};
    const nodeId = extra.node_id !== undefined ? String(extra.node_id) : /#([^']+)'/.exec(top.details ?? "")?.[1];
    const classType = typeof extra.class_type === "string" ? extra.class_type : /node (\S+) does not exist/.exec(top.message)?.[1];
    if (nodeId) {
      nodes.push({
        nodeId,
        classType,
        type: top.type,
        problem: `node type ${classType ? `'${classType}' ` : ""}is not installed on this instance`,
        message: top.message,
        details: top.details,
      });
    }
  }
  const summary = nodes.length
    ? nodes.map((n) => `Node ${n.nodeId}${n.classType ? ` (${n.classType})` : ""}: ${n.problem}`).join("; ")
    : describeProblem(top);
  return new ComfyPromptRejected(`ComfyUI ${instance} rejected the prompt: ${summary}`, {
    instance,
    type: top.type,
    message: top.message,
    nodes,
  });
}

export function executionFailure(instance: string, data: ComfyExecutionErrorData): ComfyExecutionFailed {
  const where = data.node_id ? `node ${data.node_id}${data.node_type ? ` (${data.node_type})` : ""}` : "an unknown node";
  const what = [data.exception_type, data.exception_message?.trim()].filter(Boolean).join(": ") || "unknown error";
  return new ComfyExecutionFailed(`ComfyUI ${instance} failed at ${where}: ${what}`, {
    instance,
    promptId: data.prompt_id,
    nodeId: data.node_id,
    nodeType: data.node_type,
    exceptionType: data.exception_type,
    exceptionMessage: data.exception_message,
  });
}
