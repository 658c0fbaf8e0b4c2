# One image for every service; docker-compose picks the command. Build context: the repository.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY packages packages
COPY gateway gateway
COPY subgraphs subgraphs
COPY scripts scripts
COPY schema schema
# The explorer (GET /explorer) opens with the example operations of the partner's kind.
COPY examples/operations examples/operations
RUN npm install --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
