export default async function globalTeardown() {
  const postgres = globalThis.__unionTestPostgres;
  if (postgres) await postgres.stop();
}
