# The Ulasan processes (processors, training launcher, gateway) on Node 20.
FROM node:20-bookworm-slim
WORKDIR /app
# onnxruntime-node's postinstall would download CUDA files; the CPU build ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
COPY package.json package-lock.json ./
# npm install, not npm ci: chdb lists optional platform packages that were never published, which
# npm ci reports as a lock mismatch (see scripts/bootstrap.sh).
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
# The ops server listens on 127.0.0.1 by default; containers expose it.
ENV METRICS_HOST=0.0.0.0
# glibc malloc (used by embedded chdb and onnxruntime) makes an arena per thread, up to 8 x cores,
# each keeping its own high-water mark: two are enough (docs/operations.md, "Memory").
ENV MALLOC_ARENA_MAX=2
USER node
CMD ["node", "--import", "tsx", "app/runner.ts"]
