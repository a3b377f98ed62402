# darkroom's image: the API, the workers and the ComfyUI simulator all run from it; the role is the
# command (see temporal-compose.yml). Bun is pinned to the version ./darkroom insists on.
FROM oven/bun:1.4.5

WORKDIR /app

# Dependencies and the generated Prisma client first, so a source change does not redo them.
# A full install rather than --production: `prisma generate` needs the prisma devDependency, and
# keeping the CLI lets operators run `bun x prisma ...` inside a container.
# TEMPORAL_ADDRESS tells the bootstrap that no embedded Temporal CLI is wanted in the image.
COPY package.json bun.lock prisma.config.ts darkroom ./
COPY prisma ./prisma
RUN DARKROOM_BOOTSTRAP_ONLY=1 TEMPORAL_ADDRESS=temporal:7233 ./darkroom

COPY . .

# Images live on a volume shared by the API and the workers; a named volume mounted here starts
# with this directory's owner, so the unprivileged user can write to it.
RUN mkdir -p /data && chown bun:bun /data
ENV DARKROOM_DATA_DIR=/data \
    PORT=3000
USER bun
EXPOSE 3000

# ./darkroom finds the install above up to date (its stamp matches) and execs the CLI at once.
ENTRYPOINT ["/app/darkroom"]
CMD ["api"]
