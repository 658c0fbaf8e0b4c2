# One image for every service; docker-compose picks the command. Build context: the repository.
#
#   docker build -t union-benefits .
#   docker run --rm union-benefits node gateway/dist/index.js          (what compose runs per service)
#   docker run --rm -e DATABASE_URL=... union-benefits node gateway/dist/cli/partner.js list
#
# Operator tools in the image run with plain node (there is no TypeScript compiler in it):
#   node scripts/dist/migrate.js                       every service's migrations (npm run migrate)
#   node gateway/dist/cli/partner.js create --name N --kind K   (npm run partner:run -- ...)
#   node gateway/dist/cli/audit.js list --partner ID ...        (npm run audit-log:run -- ...)
#   node scripts/dist/seed-demo.js                     the demo world, for a trial install (npm run seed:run)

FROM node:20.20-bookworm-slim AS build
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/common/package.json packages/common/
COPY subgraphs/member/package.json subgraphs/member/
COPY subgraphs/benefit/package.json subgraphs/benefit/
COPY subgraphs/points/package.json subgraphs/points/
COPY gateway/package.json gateway/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY packages packages
COPY subgraphs subgraphs
COPY gateway gateway
COPY scripts scripts
COPY schema schema
# The explorer (GET /explorer) opens with the example operations of the partner's kind.
COPY examples/operations examples/operations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20.20-bookworm-slim
# tini is PID 1: it forwards SIGTERM/SIGINT to node (whose handlers drain requests and close the
# pools) and reaps zombies. npm is never PID 1: it would not pass signals on.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# The code stays owned by root and read-only to the service user.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/subgraphs subgraphs
COPY --from=build /app/gateway gateway
COPY --from=build /app/scripts scripts
COPY --from=build /app/schema schema
COPY --from=build /app/examples/operations examples/operations
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "gateway/dist/index.js"]
