import { eachProject, entriesOf, isObject, type RuleContext } from './context.js';

/**
 * An OAuth integration must never hand out anonymous grants (TNG235): a confidential client authenticates itself
 * with its secret; a public client can be run by anyone, so a person must prove they may connect, by signing in as a
 * member on the login page (login_url, whose assertions need the project's assertion keys: TNG236) or with the
 * integration's connect secret on the consent page.
 */
export function checkOAuthIntegrations(ctx: RuleContext): void {
  let registrar: string | undefined;
  for (const { project, pointer: pp } of eachProject(ctx)) {
    for (const [ii, integ] of entriesOf(project.integrations)) {
      const at = `${pp}/integrations/${ii}`;
      if (!isObject(integ) || integ.kind !== 'oauth' || !ctx.isClean(at)) continue;
      if (integ.client_secret_sha256 === undefined && integ.connect_secret_sha256 === undefined && integ.login_url === undefined) {
        ctx.report('TNG235', `OAuth integration "${String(integ.id)}" is a public client (no client_secret_sha256) with neither login_url nor connect_secret_sha256: anyone running the client would get a grant`, at, {
          hint: `let members sign in through your login page (login_url), or mint a connect secret for the people who may connect (tengine keys connect-secret --project ${String(project.id)} --integration ${String(integ.id)}), or make the client confidential with a client secret`,
        });
      }
      if (isObject(integ.dynamic_registration)) {
        if (integ.login_url === undefined && integ.connect_secret_sha256 === undefined) {
          ctx.report('TNG235', `OAuth integration "${String(integ.id)}" accepts dynamic registrations, whose clients are public, with neither login_url nor connect_secret_sha256: anyone registering a client would get a grant`, `${at}/dynamic_registration`, {
            hint: 'let members sign in through your login page (login_url), or give the integration a connect_secret_sha256 for the people who may connect',
          });
        }
        // One authorization server, one registration endpoint: a registration names no project, so only one
        // integration can say which project registered clients belong to.
        if (registrar !== undefined) ctx.report('TNG237', `OAuth integration "${String(integ.id)}" accepts dynamic registrations, and so does ${registrar}: at most one integration of a config may`, `${at}/dynamic_registration`);
        else registrar = `"${String(integ.id)}" of project "${String(project.id)}"`;
      }
      const keys = project.assertion_keys;
      if (integ.login_url !== undefined && (!Array.isArray(keys) || keys.length === 0) && ctx.isClean(`${pp}/assertion_keys`)) {
        ctx.report('TNG236', `OAuth integration "${String(integ.id)}" sends members to a login_url, but project "${String(project.id)}" has no assertion_keys to verify what the login page sends back`, `${at}/login_url`);
      }
    }
  }
}
