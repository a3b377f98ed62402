/**
 * The flow registry: every flow POST /v1/tasks can start and GET /v1/flows lists. Adding a flow is
 * one file in this folder (a `defineFlow`) and one line here.
 */
import { angleSeriesFlow } from "./angleSeries";
import { chatImageFlow } from "./chatImage";
import { companionPhotoFlow } from "./companionPhoto";
import type { Flow } from "./flow";
import { variationsFlow } from "./variations";

export const FLOWS: readonly Flow[] = [
  companionPhotoFlow,
  angleSeriesFlow,
  chatImageFlow,
  variationsFlow,
] as unknown as readonly Flow[];
