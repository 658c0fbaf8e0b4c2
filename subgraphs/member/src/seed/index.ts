export { generateDemoData, type DemoData } from './demo-data';
export { demoWorld, seedMemberDemo } from './member-seed';
