export { composeSupergraph } from './supergraph';
