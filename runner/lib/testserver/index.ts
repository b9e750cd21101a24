export { startTestServer, type TestServer, type TestServerOptions } from './server.ts';
export { TEST_PROFILES, familyOf, type TestProfile } from './profiles.ts';
export { BEHAVIOUR_HEADER, DEFAULT_BEHAVIOUR, type Behaviour } from './behaviour.ts';
