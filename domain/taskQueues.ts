/** Task queue names, shared by workflows (so: no imports) and workers. */
export const comfyTaskQueue = (instanceName: string) => `comfy.${instanceName}`;
