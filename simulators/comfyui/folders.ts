/**
 * One simulated ComfyUI install's input/output/temp folders, with ComfyUI's file naming
 * (`<prefix>_00001_.png`, counter found by scanning the folder) and its /view path rules.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { ImageRef } from "./types";

export type FolderType = ImageRef["type"];

export type ViewLookup = { file: string; filename: string } | { status: 400 | 403 | 404 };

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|gif|bmp|tiff?)$/i;

export class ComfyFolders {
  readonly output: string;
  readonly temp: string;
  readonly input: string;
  /** ComfyUI's models folder: files in `checkpoints/` and `loras/` are offered besides the built-in ones. */
  readonly models: string;

  constructor(root: string) {
    const base = path.resolve(root);
    this.output = path.join(base, "output");
    this.temp = path.join(base, "temp");
    this.input = path.join(base, "input");
    this.models = path.join(base, "models");
  }

  /** Files installed in `models/<kind>` (ComfyUI rescans the folder on every /object_info). */
  modelFiles(kind: "checkpoints" | "loras"): string[] {
    const dir = path.join(this.models, kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => /\.(safetensors|ckpt|pt|pth|bin)$/i.test(name) && statSync(path.join(dir, name)).isFile())
      .sort();
  }

  /** ComfyUI empties its temp folder at start-up; output and input persist across restarts. */
  prepare(): void {
    rmSync(this.temp, { recursive: true, force: true });
    for (const dir of [this.output, this.temp, this.input]) mkdirSync(dir, { recursive: true });
  }

  byType(type: string): string | undefined {
    if (type === "output") return this.output;
    if (type === "temp") return this.temp;
    if (type === "input") return this.input;
    return undefined;
  }

  inputImages(): string[] {
    if (!existsSync(this.input)) return [];
    return readdirSync(this.input)
      .filter((name) => IMAGE_EXTENSIONS.test(name) && statSync(path.join(this.input, name)).isFile())
      .sort();
  }

  /**
   * ComfyUI's folder_paths.get_save_image_path: the prefix may carry a subfolder, and the counter
   * continues after the highest existing `<name>_NNNNN_` file, so names survive restarts.
   */
  savePath(filenamePrefix: string, root: string = this.output): { folder: string; filename: string; subfolder: string; counter: number } {
    const normalized = path.normalize(filenamePrefix);
    const subfolder = path.dirname(normalized) === "." ? "" : path.dirname(normalized);
    const filename = path.basename(normalized);
    const folder = path.resolve(root, subfolder);
    if (folder !== root && !folder.startsWith(root + path.sep)) {
      throw new Error(
        `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${root}\n         commonpath: ${path.dirname(root)}`,
      );
    }
    mkdirSync(folder, { recursive: true });
    let highest = 0;
    for (const existing of readdirSync(folder)) {
      const stem = existing.slice(0, filename.length + 1);
      if (stem.toLowerCase() !== `${filename}_`.toLowerCase()) continue;
      const digits = Number.parseInt(existing.slice(filename.length + 1).split("_")[0] ?? "", 10);
      if (Number.isFinite(digits) && digits > highest) highest = digits;
    }
    return { folder, filename, subfolder, counter: highest + 1 };
  }

  /** server.py's GET /view checks, in its order: 400 for odd names, 403 for a subfolder escape, 404 when absent. */
  view(query: URLSearchParams): ViewLookup {
    let filename = query.get("filename");
    if (filename === null) return { status: 404 };
    let dir: string | undefined;
    const annotation = /^(.*) \[(output|input|temp)\]$/.exec(filename);
    if (annotation) {
      filename = annotation[1] ?? "";
      dir = this.byType(annotation[2] ?? "");
    }
    if (!filename) return { status: 400 };
    if (filename.startsWith("/") || filename.includes("..") || path.isAbsolute(filename)) return { status: 400 };
    dir ??= this.byType(query.get("type") ?? "output");
    if (!dir) return { status: 400 };
    const subfolder = query.get("subfolder");
    if (subfolder) {
      const full = path.resolve(dir, subfolder);
      if (full !== dir && !full.startsWith(dir + path.sep)) return { status: 403 };
      dir = full;
    }
    const base = path.basename(filename);
    const file = path.join(dir, base);
    if (!existsSync(file) || !statSync(file).isFile()) return { status: 404 };
    return { file, filename: base };
  }
}
