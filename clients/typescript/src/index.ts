export * from './runtime';
export * from './client';
export * from './generated';
