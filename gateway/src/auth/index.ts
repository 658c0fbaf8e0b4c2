export * from './scopes';
export * from './partners';
export * from './tokens';
export * from './oauth';
