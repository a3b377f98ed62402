/**
 * Prompt validation following ComfyUI's execution.validate_prompt: the same error types, messages,
 * the per-output partial acceptance, and the node_errors bookkeeping clients parse.
 */
import type { InputSpec, NodeClass } from "./catalog";
import type { ComfyError, NodeErrors, PromptGraph } from "./types";

export type Validation =
  | { ok: true; outputs: string[]; nodeErrors: Record<string, NodeErrors> }
  | { ok: false; error: ComfyError; nodeErrors: Record<string, NodeErrors> };

type NodeVerdict = { valid: boolean; errors: ComfyError[] };

/** Stands in for the Python exception real ComfyUI raises on a dangling link or a bad output slot. */
class GraphLookupError extends Error {
  constructor(message: string, readonly exceptionType: string) {
    super(message);
  }
}

/** Python's repr of a string list, as it appears in ComfyUI's `details`. */
export function pythonList(values: string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ")}]`;
}

function pythonValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null || value === undefined) return "None";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function isNodeObject(value: unknown): value is { class_type?: unknown; inputs?: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function validatePrompt(prompt: PromptGraph, catalog: Record<string, NodeClass>): Validation {
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    if (!isNodeObject(node) || typeof node.class_type !== "string") {
      return {
        ok: false,
        error: { type: "invalid_prompt", message: "Cannot execute because a node is missing the class_type property.", details: `Node ID '#${id}'`, extra_info: {} },
        nodeErrors: {},
      };
    }
    const nodeClass = catalog[node.class_type];
    if (!nodeClass) {
      return {
        ok: false,
        // 0.3.64 calls this invalid_prompt; later builds changed the type to missing_node_type.
        error: { type: "invalid_prompt", message: `Cannot execute because node ${node.class_type} does not exist.`, details: `Node ID '#${id}'`, extra_info: {} },
        nodeErrors: {},
      };
    }
    if (nodeClass.outputNode) outputs.push(id);
  }
  if (outputs.length === 0) {
    return { ok: false, error: { type: "prompt_no_outputs", message: "Prompt has no outputs", details: "", extra_info: {} }, nodeErrors: {} };
  }

  const validated = new Map<string, NodeVerdict>();
  const goodOutputs: string[] = [];
  const failures: ComfyError[] = [];
  const nodeErrors: Record<string, NodeErrors> = {};

  for (const output of outputs) {
    let verdict: NodeVerdict;
    try {
      verdict = validateNode(prompt, catalog, output, validated);
    } catch (ex) {
      const { message, exceptionType } = describe(ex);
      verdict = {
        valid: false,
        errors: [{ type: "exception_during_validation", message: "Exception when validating node", details: message, extra_info: { exception_type: exceptionType, traceback: [] } }],
      };
      validated.set(output, verdict);
    }
    if (verdict.valid) {
      goodOutputs.push(output);
      continue;
    }
    failures.push(...verdict.errors);
    for (const [nodeId, result] of validated) {
      if (result.valid || result.errors.length === 0) continue;
      nodeErrors[nodeId] ??= { errors: result.errors, dependent_outputs: [], class_type: prompt[nodeId]?.class_type ?? "" };
      nodeErrors[nodeId].dependent_outputs.push(output);
    }
  }

  if (goodOutputs.length === 0) {
    return {
      ok: false,
      error: {
        type: "prompt_outputs_failed_validation",
        message: "Prompt outputs failed validation",
        details: failures.map((e) => `${e.message}: ${e.details}`).join("\n"),
        extra_info: {},
      },
      nodeErrors,
    };
  }
  return { ok: true, outputs: goodOutputs, nodeErrors };
}

function describe(ex: unknown): { message: string; exceptionType: string } {
  if (ex instanceof GraphLookupError) return { message: ex.message, exceptionType: ex.exceptionType };
  return { message: ex instanceof Error ? ex.message : String(ex), exceptionType: "Exception" };
}

function validateNode(prompt: PromptGraph, catalog: Record<string, NodeClass>, nodeId: string, validated: Map<string, NodeVerdict>): NodeVerdict {
  const known = validated.get(nodeId);
  if (known) return known;
  const node = prompt[nodeId];
  if (!node) throw new GraphLookupError(`'${nodeId}'`, "KeyError");
  const nodeClass = catalog[node.class_type];
  if (!nodeClass) throw new GraphLookupError(`'${node.class_type}'`, "KeyError");
  const inputs: Record<string, unknown> = isNodeObject(node.inputs) ? (node.inputs as Record<string, unknown>) : {};

  const errors: ComfyError[] = [];
  let valid = true;
  const specs: Array<[string, InputSpec, "required" | "optional"]> = [
    ...Object.entries(nodeClass.required).map(([k, v]) => [k, v, "required"] as [string, InputSpec, "required"]),
    ...Object.entries(nodeClass.optional ?? {}).map(([k, v]) => [k, v, "optional"] as [string, InputSpec, "optional"]),
  ];

  for (const [name, spec, category] of specs) {
    const [inputType, extra = {}] = spec;
    const inputConfig = [inputType, extra];
    if (!(name in inputs)) {
      if (category === "required") {
        errors.push({ type: "required_input_missing", message: "Required input is missing", details: name, extra_info: { input_name: name } });
      }
      continue;
    }
    let value = inputs[name];

    if (Array.isArray(value)) {
      if (value.length !== 2) {
        errors.push({
          type: "bad_linked_input",
          message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
          details: name,
          extra_info: { input_name: name, input_config: inputConfig, received_value: value },
        });
        continue;
      }
      const sourceId = String(value[0]);
      const source = prompt[sourceId];
      if (!source) throw new GraphLookupError(`'${sourceId}'`, "KeyError");
      const sourceClass = catalog[source.class_type];
      const slot = Number(value[1]);
      const receivedType = sourceClass?.outputs[slot];
      if (receivedType === undefined) throw new GraphLookupError("tuple index out of range", "IndexError");
      if (!(receivedType === inputType || receivedType === "*" || inputType === "*")) {
        errors.push({
          type: "return_type_mismatch",
          message: "Return type mismatch between linked nodes",
          details: `${name}, received_type(${receivedType}) mismatch input_type(${Array.isArray(inputType) ? pythonList(inputType) : inputType})`,
          extra_info: { input_name: name, input_config: inputConfig, received_type: receivedType, linked_node: value },
        });
        continue;
      }
      try {
        if (!validateNode(prompt, catalog, sourceId, validated).valid) valid = false;
      } catch (ex) {
        const { message, exceptionType } = describe(ex);
        valid = false;
        validated.set(sourceId, {
          valid: false,
          errors: [{
            type: "exception_during_inner_validation",
            message: "Exception when validating inner node",
            details: message,
            extra_info: { input_name: name, input_config: inputConfig, exception_message: message, exception_type: exceptionType, traceback: [], linked_node: value },
          }],
        });
      }
      continue;
    }

    if (inputType === "INT" || inputType === "FLOAT") {
      const converted = toNumber(value, inputType);
      if (converted === undefined) {
        const reason = typeof value === "string"
          ? inputType === "INT" ? `invalid literal for int() with base 10: '${value}'` : `could not convert string to float: '${value}'`
          : `${inputType === "INT" ? "int" : "float"}() argument must be a string or a real number, not '${value === null ? "NoneType" : typeof value}'`;
        errors.push({
          type: "invalid_input_type",
          message: `Failed to convert an input value to a ${inputType} value`,
          details: `${name}, ${pythonValue(value)}, ${reason}`,
          extra_info: { input_name: name, input_config: inputConfig, received_value: value, exception_message: reason },
        });
        continue;
      }
      value = converted;
      if (inputType === "INT") inputs[name] = converted;
      const min = extra.min;
      const max = extra.max;
      if (typeof min === "number" && converted < min) {
        errors.push({
          type: "value_smaller_than_min",
          message: `Value ${converted} smaller than min of ${min}`,
          details: name,
          extra_info: { input_name: name, input_config: inputConfig, received_value: converted },
        });
        continue;
      }
      if (typeof max === "number" && converted > max) {
        errors.push({
          type: "value_bigger_than_max",
          message: `Value ${converted} bigger than max of ${max}`,
          details: name,
          extra_info: { input_name: name, input_config: inputConfig, received_value: converted },
        });
        continue;
      }
    }

    // Only the classic `[[choices]]` form is checked: 0.3.64 lets any value through a newer-schema
    // `["COMBO", {options}]` input at validation time.
    if (Array.isArray(inputType) && !inputType.includes(value as string)) {
      const tooLong = inputType.length > 20;
      errors.push({
        type: "value_not_in_list",
        message: "Value not in list",
        details: `${name}: '${pythonValue(value)}' not in ${tooLong ? `(list of length ${inputType.length})` : pythonList(inputType)}`,
        extra_info: { input_name: name, input_config: tooLong ? null : inputConfig, received_value: value },
      });
    }
  }

  const verdict: NodeVerdict = errors.length > 0 || !valid ? { valid: false, errors } : { valid: true, errors: [] };
  validated.set(nodeId, verdict);
  return verdict;
}

/** Python's int()/float() leniency: numeric strings and booleans convert, floats truncate to INT. */
function toNumber(value: unknown, type: "INT" | "FLOAT"): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return type === "INT" ? Math.trunc(value) : value;
  if (typeof value === "string" && value.trim() !== "") {
    const text = value.trim();
    if (type === "INT" ? /^[+-]?\d+$/.test(text) : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  }
  return undefined;
}
