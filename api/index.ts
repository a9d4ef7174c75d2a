// The API package: the Hono app (JSON API + dashboard) and its server.
export { createApp, type App, type AppOptions, type AuthConfig } from './app.ts';
export { startApiServer, type ApiServer } from './server.ts';
export { simulatedModels, type SimulatedModels } from './simulated-models.ts';
export { createApiToken, listApiTokens, revokeApiToken, verifyApiToken } from './tokens.ts';
