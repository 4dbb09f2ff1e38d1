import { z } from 'zod';
import { UnauthorizedError } from '../../../integration/index.js';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Account, Me, Tokens } from './schemas.js';

// Bodies are checked for shape here (and in the OpenAPI document); the commands check the rules.
const CredentialsBody = z.strictObject({ username: z.string().max(64), password: z.string().max(128) });
// The same shape; the OpenAPI document says the rules a new account's command checks (a 422 names the field).
const RegisterBody = z.strictObject({
  username: z.string().max(64).describe('3 to 32 of a-z, 0-9 and _ once folded to lower case; unique'),
  password: z.string().max(128).describe('10 to 128 characters'),
});

/** Sign-up, sign-in, refresh, sign-out and who am I. */
export const authRoutes: readonly GameRoute[] = routesOf('auth_user', (route) => {
  route({
    method: 'POST',
    url: '/auth/register',
    access: 'public',
    rateLimit: 'auth',
    summary: 'Create a player account',
    body: RegisterBody,
    responses: { 201: Account },
    async handle({ body, execute }) {
      return { status: 201, body: await execute('auth_user.register', body) };
    },
  });
  route({
    method: 'POST',
    url: '/auth/login',
    access: 'public',
    rateLimit: 'auth',
    summary: 'Sign in: an access token (15 minutes) and a refresh token',
    body: CredentialsBody,
    responses: { 200: Tokens },
    async handle({ body, execute }) {
      return { body: await execute('auth_user.login', body) };
    },
  });
  route({
    method: 'POST',
    url: '/auth/refresh',
    access: 'public',
    rateLimit: 'auth',
    summary: 'Trade a refresh token for new tokens (each refresh token works once)',
    body: z.strictObject({ refreshToken: z.string().min(1).max(200) }),
    responses: { 200: Tokens },
    async handle({ body, execute }) {
      const result = await execute('auth_user.refresh', body);
      if (!result.ok) throw new UnauthorizedError(`The refresh token is not valid (${result.reason}); sign in again.`);
      return {
        body: {
          accessToken: result.accessToken,
          refreshToken: result.refreshToken,
          tokenType: result.tokenType,
          expiresIn: result.expiresIn,
        },
      };
    },
  });
  route({
    method: 'POST',
    url: '/auth/logout',
    access: 'player',
    summary: 'Sign out: the session and its tokens stop working at once',
    responses: { 200: z.strictObject({ revoked: z.boolean() }) },
    async handle({ token, execute }) {
      if (token === undefined) throw new UnauthorizedError('Sign in first.');
      return { body: await execute('auth_user.logout', { accessToken: token }) };
    },
  });
  route({
    method: 'GET',
    url: '/me',
    access: 'player',
    summary: 'The signed-in account',
    responses: { 200: Me },
    // The access check read the account with the session (auth_user.authenticate): nothing is left to read.
    handle({ actor }) {
      if (actor?.kind !== 'user' || actor.name === undefined) {
        return Promise.reject(new UnauthorizedError('Sign in first.'));
      }
      return Promise.resolve({ body: { userId: actor.id, username: actor.name, roles: actor.roles ?? [] } });
    },
  });
});
