/**
 * The messages darkroom's workflows answer, defined once so clients, activities and workflows
 * signal, update and query by definition, never by a string that could drift.
 */
import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";
import type { BegunAngle } from "./angleSeries";
import type { ChatMessage } from "./messages";

/** Another generation of the same user finished: maybe a slot is free now. */
export const slotFreedSignal = defineSignal("slotFreed");
/** A companion photo's waiting message, for clients that prefer Update-with-Start. */
export const waitingMessageUpdate = defineUpdate<ChatMessage>("waitingMessage");
/** Where a companion photo is right now (queued, picking-instance, generating on gpu0, …). */
export const stageQuery = defineQuery<string>("stage");
/** An angle series' recorded angles, for clients that prefer Update-with-Start. */
export const seriesBegunUpdate = defineUpdate<BegunAngle[]>("seriesBegun");
