/** Adds o+x to every folder from each path up to the root; does nothing unless running as root. */
export function makeReachableByPostgres(...paths: string[]): void;
