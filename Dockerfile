# qdc-catalog server image. `docker compose up` builds it and runs it against PostgreSQL + pgvector.

# Stage 1: the web explorer. Vite, React and the plotting and graph libraries are devDependencies
# (nothing of them runs on the server), so they are installed only here; the runtime stage takes
# the built web/dist, which `qdc serve` serves at / (src/http/webRoutes.ts).
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY web ./web
RUN npm run build:web

# Stage 2: the server.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so this layer is cached until the lockfile changes. tsx is a runtime
# dependency (bin/qdc.mjs runs the TypeScript sources through it), so --omit=dev is enough.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The rest of what the server needs at runtime, listed one by one rather than `COPY . .`, so that
# tests, benchmarks and anything else in the tree stay out of the image (.dockerignore also keeps
# the host's node_modules and ./.qdc data out of the build context).
COPY tsconfig.json ./
COPY bin ./bin
COPY schema ./schema
COPY migrations ./migrations
COPY src ./src
COPY --from=web /app/web/dist ./web/dist

# Without DATABASE_URL the server uses embedded PGlite in ./.qdc/pglite: make that writable.
RUN mkdir -p /app/.qdc && chown node:node /app/.qdc
USER node

# Listen on all interfaces inside the container. A non-loopback address turns API keys on by
# default (QDC_AUTH=required), as does DATABASE_URL.
ENV QDC_HOST=0.0.0.0
EXPOSE 4000

# A larger young generation than V8's default: fewer scavenges during large list queries.
CMD ["node", "--max-semi-space-size=32", "bin/qdc.mjs", "serve"]
