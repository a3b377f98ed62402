/**
 * Checking a namespace for custom search attributes, and registering the missing ones where the
 * server allows it. A namespace without them refuses every workflow start that sets them, so an
 * operator must learn at start (and from /readyz) what is missing and the exact commands to run.
 * The attributes themselves are the caller's vocabulary (every one a Keyword).
 */

/** `IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD` in Temporal's API (every darkroom attribute is a Keyword). */
const KEYWORD = 2;
const TYPE_NAMES: Record<number, string> = { 1: "Text", 2: "Keyword", 3: "Int", 4: "Double", 5: "Bool", 6: "Datetime", 7: "KeywordList" };

/** The two operator-service calls the check needs (a Connection's `operatorService` has them). */
export interface SearchAttributeOperator {
  listSearchAttributes(request: { namespace: string }): Promise<{ customAttributes?: { [name: string]: number } | null }>;
  addSearchAttributes(request: { namespace: string; searchAttributes: { [name: string]: number } }): Promise<unknown>;
}

export interface SearchAttributeCheck {
  /** Every attribute exists with the right type (false too when the list could not be read). */
  ok: boolean;
  namespace: string;
  /** Not defined in the namespace (after trying to register them). */
  missing: string[];
  /** Defined with another type than Keyword: workflows that set them fail. */
  wrongType: Array<{ name: string; type: string }>;
  /** Registered by this check. */
  registered: string[];
  /** Why listing or registering failed, when it did. */
  error?: string;
  /** What an operator runs to fix it, one command a line. */
  commands: string[];
}

/** The exact CLI line that creates one of darkroom's attributes. */
export function createSearchAttributeCommand(name: string, where: { namespace: string; address?: string }): string {
  return `temporal operator search-attribute create --name ${name} --type Keyword --namespace ${where.namespace}${where.address ? ` --address ${where.address}` : ""}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks darkroom's search attributes in the namespace and registers the missing ones when `register`
 * is on and the server lets this client (self-hosted servers do; Temporal Cloud and locked-down
 * clusters refuse). Never throws: the result says what is missing and the commands that fix it.
 * Several processes may run it at once: whoever loses the race to register sees the winner's.
 */
export async function ensureSearchAttributes(
  operator: SearchAttributeOperator,
  opts: { names: readonly string[]; namespace: string; address?: string; register: boolean },
): Promise<SearchAttributeCheck> {
  const { namespace, names: searchAttributeNames } = opts;
  const result = (defined: Record<string, number>, registered: string[], error?: string): SearchAttributeCheck => {
    const missing = searchAttributeNames.filter((name) => defined[name] === undefined);
    const wrongType = searchAttributeNames
      .filter((name) => defined[name] !== undefined && defined[name] !== KEYWORD)
      .map((name) => ({ name, type: TYPE_NAMES[defined[name]!] ?? String(defined[name]) }));
    const commands = [
      ...wrongType.flatMap(({ name }) => [
        `temporal operator search-attribute remove --name ${name} --namespace ${namespace}${opts.address ? ` --address ${opts.address}` : ""}`,
        createSearchAttributeCommand(name, opts),
      ]),
      ...missing.map((name) => createSearchAttributeCommand(name, opts)),
    ];
    return { ok: missing.length === 0 && wrongType.length === 0, namespace, missing, wrongType, registered, error, commands };
  };
  const list = async () => (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};

  let defined: Record<string, number>;
  try {
    defined = await list();
  } catch (error) {
    const check = result({}, [], `could not list the search attributes of namespace "${namespace}": ${messageOf(error)}`);
    return { ...check, missing: [], commands: [] };
  }
  const missing = searchAttributeNames.filter((name) => defined[name] === undefined);
  if (missing.length === 0 || !opts.register) {
    return result(defined, [], missing.length && !opts.register ? "registering them is turned off (TEMPORAL_REGISTER_SEARCH_ATTRIBUTES=false)" : undefined);
  }
  let addError: string | undefined;
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
  } catch (error) {
    addError = `the server refused to register them: ${messageOf(error)}`;
  }
  try {
    defined = await list();
  } catch (error) {
    addError ??= `could not list them again after registering: ${messageOf(error)}`;
  }
  const now = result(defined, missing.filter((name) => defined[name] !== undefined));
  // Another process registering the same names at once makes our call fail, harmlessly.
  return now.ok ? now : { ...now, error: addError };
}

/**
 * A check to call at start and from /readyz: runs `ensureSearchAttributes` until it once succeeds,
 * then keeps that answer (attributes are not removed under a running deployment).
 */
export function searchAttributeChecker(
  operator: SearchAttributeOperator,
  opts: { names: readonly string[]; namespace: string; address?: string; register: boolean },
): () => Promise<SearchAttributeCheck> {
  let last: SearchAttributeCheck | undefined;
  return async () => {
    if (last?.ok) return last;
    last = await ensureSearchAttributes(operator, opts);
    return last;
  };
}

/** The log line for a failed check: what is missing, why, and the commands. */
export function describeSearchAttributeCheck(check: SearchAttributeCheck): string {
  if (check.ok) return `Temporal namespace "${check.namespace}" has the search attributes`;
  const what = [...check.missing, ...check.wrongType.map((w) => `${w.name} is ${w.type}, not Keyword`)].join(", ") || "could not tell";
  const fix = check.commands.length ? ` Workflow starts fail until an operator runs:\n  ${check.commands.join("\n  ")}` : "";
  return `Temporal namespace "${check.namespace}" lacks search attributes (${what})${check.error ? `: ${check.error}` : ""}.${fix}`;
}
