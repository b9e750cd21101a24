export { startReferenceServer, parseGeneration, type ReferenceServer, type ReferenceServerOptions } from './server.ts';
export { chatPrompt, commonPrefix, type Engine, type EngineSequence } from './engine.ts';
