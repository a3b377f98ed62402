/** The HTTP API: route groups composed into one Elysia app, with OpenAPI at /openapi. */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { companionPhotoRoutes } from "./companionPhotos";
import type { ApiContext } from "./context";
import { errorHandling } from "./errors";
import { generationRoutes } from "./generations";
import { imageRoutes } from "./images";
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
    .use(companionPhotoRoutes(ctx))
    .use(generationRoutes(ctx))
    .use(imageRoutes(ctx));
}

export type Api = ReturnType<typeof createApi>;
