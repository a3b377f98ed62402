/**
 * A request that needs a persona the GPU pool cannot serve now (its checkpoint, LoRA or node class
 * is on no instance) is refused with what is missing; every other persona keeps working.
 */
import { PersonaUnavailable, requireAvailable, type PersonaCatalog, type PersonaDefinition } from "../activities/personas";
import { ServiceRefusal } from "./errors";

export async function personaAvailableOrRefuse(catalog: PersonaCatalog, persona: PersonaDefinition): Promise<void> {
  try {
    await requireAvailable(catalog, persona);
  } catch (err) {
    if (!(err instanceof PersonaUnavailable)) throw err;
    // 409: the request is fine, the pool is not ready for it; the same request works once an instance offers the file.
    throw new ServiceRefusal("conflict", "persona_unavailable", err.message, {
      persona: persona.id,
      reason: err.availability.unavailableReason,
      missing: err.availability.missing ?? [],
    });
  }
}

/** The personas the pool cannot serve now, for readiness details. */
export function unavailablePersonas(catalog: PersonaCatalog): Array<{ id: string; reason: string }> {
  return catalog
    .list()
    .map((p) => ({ id: p.id, availability: catalog.availability(p.id) }))
    .filter((p) => !p.availability.available)
    .map((p) => ({ id: p.id, reason: p.availability.unavailableReason ?? "unavailable" }));
}
