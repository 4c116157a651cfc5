# syntax=docker/dockerfile:1
# SmartHydro image: one image, every role (`start --roles …`), the CLI (`migrate`, `import-csv`, …).
#   docker build -t smarthydro .
#   docker run --rm -p 8080:8080 smarthydro start --demo          # embedded demo, data in the /data volume

ARG NODE_VERSION=20.19

# ---- build: dev dependencies, TypeScript (and the web app when web/ is present) -> dist/
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore lets through: src/, tools/, migrations/, tsconfig*.json and web/ when it exists.
COPY . .
RUN npm run build

# ---- runtime: production dependencies only, non-root
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The whole build output (server, tools, web app), and the SQL migrations the server finds beside it.
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Every process answers /health on PORT (the api, or the health/metrics listener of a worker-only process).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: roles finish in-flight work, then connections close.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["start"]
