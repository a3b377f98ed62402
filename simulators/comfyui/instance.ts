/**
 * One simulated ComfyUI "machine": a port that stays the same across deaths and restarts, the
 * test-facing controls and records, and the current process (replaced on every restart).
 */
import type { Server } from "bun";
import { ComfyProcess } from "./comfy-process";
import { ComfyFolders } from "./folders";
import { route } from "./routes";
import type { SocketData } from "./sockets";
import type { InjectedFailure, SimInstance, SimRun } from "./types";

export interface InstanceSettings {
  index: number;
  port: number;
  host: string;
  root: string;
  steps?: number;
  stepMs: number;
  historyDelayMs: number;
  jobsApi: boolean;
  modelLoadMs: number;
  modelsInVram: number;
}

export class SimulatedComfyInstance implements SimInstance {
  readonly index: number;
  port: number;
  readonly runs: SimRun[] = [];
  readonly submitted: string[] = [];
  readonly modelLoads: SimInstance["modelLoads"] = [];
  readonly submittedPrompts: Array<{ promptId: string; prompt: Record<string, unknown> }> = [];
  readonly uploads: string[] = [];
  private readonly folders: ComfyFolders;
  private readonly failures: InjectedFailure[] = [];
  private stepMs: number;
  private stalled = false;
  private previewMetadata = true;
  private server: Server<SocketData> | undefined;
  private process: ComfyProcess | undefined;

  constructor(private readonly settings: InstanceSettings) {
    this.index = settings.index;
    this.port = settings.port;
    this.stepMs = settings.stepMs;
    this.folders = new ComfyFolders(settings.root);
  }

  get inputDir(): string {
    return this.folders.input;
  }

  get modelsDir(): string {
    return this.folders.models;
  }

  get url(): string {
    return `http://${this.settings.host}:${this.port}`;
  }

  failNext(count: number, error: InjectedFailure = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ ...error });
  }

  loadedModels(): string[] {
    return [...(this.process?.loadedModels ?? [])];
  }

  setStepMs(ms: number): void {
    this.stepMs = ms;
  }

  stallSockets(stalled: boolean): void {
    this.stalled = stalled;
  }

  setPreviewMetadata(supported: boolean): void {
    this.previewMetadata = supported;
  }

  async up(): Promise<void> {
    if (this.server) return;
    this.folders.prepare();
    const process = new ComfyProcess({
      folders: this.folders,
      stepMs: () => this.stepMs,
      stepsOverride: this.settings.steps,
      historyDelayMs: this.settings.historyDelayMs,
      isStalled: () => this.stalled,
      featureFlags: () => this.previewMetadata,
      takeFailure: () => this.failures.shift(),
      recordRun: (run) => this.runs.push(run),
      modelLoadMs: this.settings.modelLoadMs,
      modelsInVram: this.settings.modelsInVram,
      recordModelLoad: (load) => this.modelLoads.push(load),
    });
    const controls = this;
    this.server = Bun.serve<SocketData>({
      hostname: this.settings.host,
      port: this.port,
      idleTimeout: 0,
      fetch: (req, server) => route(req, server, { jobsApi: this.settings.jobsApi, process, folders: this.folders, controls, port: this.port }),
      websocket: {
        // Real ComfyUI never pings; a silent socket stays open until someone closes it.
        idleTimeout: 0,
        sendPings: false,
        open: (ws) => {
          process.sockets.add(ws);
          process.greet(ws.data.sid);
        },
        message: (ws, message) => process.sockets.received(ws, message),
        close: (ws) => process.sockets.remove(ws),
      },
    });
    this.port = this.server.port ?? this.port;
    this.process = process;
    process.start();
  }

  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.process?.kill();
    this.process = undefined;
    await server.stop(true);
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }
}
