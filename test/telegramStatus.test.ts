/**
 * "sending photo…" in a Telegram chat while its picture is made: the Telegram simulator sees
 * `sendChatAction upload_photo` for the chat from the start, refreshed every 4 s, and none after the
 * photo; a cancelled picture stops the status too. Real stack: Temporal, PostgreSQL, the ComfyUI
 * and Telegram simulators.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { WorkflowHandle } from "@temporalio/client";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

/** The activity events of a workflow's history, in order, with the activity each one is about. */
async function historyOf(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  return (history.events ?? []).flatMap((e) => {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? "");
    const [type, of] = e.activityTaskScheduledEventAttributes
      ? ["ACTIVITY_TASK_SCHEDULED", id]
      : e.activityTaskStartedEventAttributes
        ? ["ACTIVITY_TASK_STARTED", e.activityTaskStartedEventAttributes.scheduledEventId]
        : e.activityTaskCancelRequestedEventAttributes
          ? ["ACTIVITY_TASK_CANCEL_REQUESTED", e.activityTaskCancelRequestedEventAttributes.scheduledEventId]
          : e.activityTaskCanceledEventAttributes
            ? ["ACTIVITY_TASK_CANCELED", e.activityTaskCanceledEventAttributes.scheduledEventId]
            : e.activityTaskCompletedEventAttributes
              ? ["ACTIVITY_TASK_COMPLETED", e.activityTaskCompletedEventAttributes.scheduledEventId]
              : [undefined, undefined];
    return type ? [{ type, activity: scheduled.get(String(of)) }] : [];
  });
}

describe("the Telegram chat shows 'sending photo…' while its picture is made", () => {
  let stack: Stack;
  let telegram: TelegramSimulator;
  const token = "42:status-test";

  beforeAll(async () => {
    telegram = await startTelegramSimulator({ token });
    stack = await startStack({
      instances: 1,
      // 4 steps of 1.5 s: a picture takes over one 4 s refresh.
      stepMs: 1500,
      steps: 4,
      env: { DIALOG_IMAGE_EVERY: "1", TELEGRAM_API_URL: telegram.url, TELEGRAM_BOT_TOKEN: token, CHAT_IMAGE_TIMEOUT_MS: "120000" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await telegram?.stop();
  });

  const picture = async (dialog: string, chatId: string) => {
    const res = await stack.request("POST", `/v1/dialogs/${dialog}/messages`, { role: "user", text: "a morning run by the river", persona: "STACY", delivery: { telegram: { chatId } } });
    expect(res.body.imageTriggered).toBe(true);
    return { id: res.body.generationId as string, handle: stack.running.temporal.workflow.getHandle(`darkroom/chat_image/${res.body.generationId}`) };
  };
  const actionsFor = (chatId: string) => telegram.chatActions.filter((a) => a.chatId === chatId);

  test("from the start until the photo, refreshed every 4 s, and none after it", async () => {
    const { handle } = await picture("status-1", "3001");
    const result = await handle.result();
    expect(result.status).toBe("completed");
    const [photo] = telegram.photos.filter((p) => p.chatId === "3001");
    expect(photo).toBeDefined();
    const actions = actionsFor("3001");
    // Shown at once and refreshed while the GPU worked (the picture took more than one refresh).
    expect(actions.length).toBeGreaterThanOrEqual(2);
    expect(actions.every((a) => a.action === "upload_photo")).toBe(true);
    expect(actions.every((a) => a.seq < photo!.seq)).toBe(true);
    const gaps = actions.slice(1).map((a, i) => a.at - actions[i]!.at);
    expect(gaps.every((g) => g >= 3500)).toBe(true);

    // The status activity had ended (by itself on seeing the outcome recorded, or by the cancel)
    // before the delivery was even scheduled, so nothing can follow the photo; and it cost the
    // history a handful of events.
    const events = await historyOf(handle);
    const status = events.filter((e) => e.activity === "showUploadingPhoto").map((e) => e.type);
    // (The server writes a retryable activity's STARTED event when it closes, so the order varies.)
    const ended = status.includes("ACTIVITY_TASK_COMPLETED") ? "ACTIVITY_TASK_COMPLETED" : "ACTIVITY_TASK_CANCELED";
    expect(status.toSorted()).toEqual([ended, "ACTIVITY_TASK_CANCEL_REQUESTED", "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_STARTED"].toSorted());
    const endedAt = events.findIndex((e) => e.activity === "showUploadingPhoto" && e.type === ended);
    const deliveryAt = events.findIndex((e) => e.activity === "deliverToTelegram" && e.type === "ACTIVITY_TASK_SCHEDULED");
    expect(endedAt).toBeGreaterThan(0);
    expect(deliveryAt).toBeGreaterThan(endedAt);
    expect(actionsFor("3001")).toHaveLength(actions.length);

    // The simulator shows them on /received, as the demo console reads it.
    const received = await (await fetch(`${telegram.url}/received?chatId=3001`)).json();
    expect(received.chatActions.map((a: { action: string }) => a.action)).toEqual(actions.map(() => "upload_photo"));
  });

  test("a cancelled picture stops the status, and nothing is sent", async () => {
    const { id, handle } = await picture("status-2", "3002");
    await eventually(async () => (actionsFor("3002").length > 0 ? true : undefined), "the first upload_photo action");
    expect((await stack.request("POST", `/v1/generations/${id}/cancel`)).status).toBe(202);
    await expect(handle.result()).rejects.toThrow();
    const events = await historyOf(handle);
    expect(["ACTIVITY_TASK_CANCELED", "ACTIVITY_TASK_COMPLETED"]).toContain(events.filter((e) => e.activity === "showUploadingPhoto").map((e) => e.type).at(-1)!);
    const count = actionsFor("3002").length;
    // Longer than one refresh: a loop still running would have sent another.
    await Bun.sleep(4_500);
    expect(actionsFor("3002")).toHaveLength(count);
    expect(telegram.photos.filter((p) => p.chatId === "3002")).toEqual([]);
    expect(telegram.messages.filter((m) => m.chatId === "3002")).toEqual([]);
  });
});
