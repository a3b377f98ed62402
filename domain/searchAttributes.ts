/**
 * darkroom's custom search attributes: operators find a user's generation in the Temporal Web UI
 * by these (e.g. `DarkroomTenant = "acme" AND DarkroomAgent = "sofia"`). A namespace without them
 * refuses every workflow start that sets them. The dev server registers them at start;
 * temporal-compose.yml with `temporal operator search-attribute create`; and the API and main worker
 * check them at start (lib/temporal/searchAttributes.ts), registering what is missing where the
 * server allows it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";

export const DarkroomTenant = defineSearchAttributeKey("DarkroomTenant", SearchAttributeType.KEYWORD);
export const DarkroomKind = defineSearchAttributeKey("DarkroomKind", SearchAttributeType.KEYWORD);
export const DarkroomAgent = defineSearchAttributeKey("DarkroomAgent", SearchAttributeType.KEYWORD);
export const DarkroomUser = defineSearchAttributeKey("DarkroomUser", SearchAttributeType.KEYWORD);
export const DarkroomDialog = defineSearchAttributeKey("DarkroomDialog", SearchAttributeType.KEYWORD);
export const DarkroomStatus = defineSearchAttributeKey("DarkroomStatus", SearchAttributeType.KEYWORD);

/** Every one of them, for registering in a namespace. */
export const SEARCH_ATTRIBUTES = [DarkroomTenant, DarkroomKind, DarkroomAgent, DarkroomUser, DarkroomDialog, DarkroomStatus];

export const searchAttributeNames = SEARCH_ATTRIBUTES.map((key) => key.name);
