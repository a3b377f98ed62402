/** The HTTP API: route groups composed into one Elysia app, with OpenAPI at /openapi. */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { angleSeriesRoutes } from "./angleSeries";
import { companionPhotoRoutes } from "./companionPhotos";
import type { ApiContext } from "./context";
import { dialogRoutes } from "./dialogs";
import { errorHandling } from "./errors";
import { generationRoutes } from "./generations";
import { imageRoutes } from "./images";
import { liveRoutes } from "./live";
import { metricsRoutes } from "./metrics";
import { operationRoutes } from "./operations";

export function createApi(ctx: ApiContext) {
  return new Elysia()
    .use(errorHandling)
    .use(
      openapi({
        path: "/openapi",
        documentation: {
          info: {
            title: "darkroom",
            version: "0.1.0",
            description: "Slow AI images in live conversations: an in-character waiting message now, the picture when it is ready.",
          },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
        },
      }),
    )
    .use(operationRoutes(ctx))
    .use(metricsRoutes(ctx))
    .use(companionPhotoRoutes(ctx))
    .use(generationRoutes(ctx))
    .use(imageRoutes(ctx))
    .use(liveRoutes(ctx))
    .use(dialogRoutes(ctx))
    .use(angleSeriesRoutes(ctx));
}

export type Api = ReturnType<typeof createApi>;
